package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.SafeConv;

/** A 2-D convolution with bias, through {@link SafeConv}. */
public final class Conv2d extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final Shape stride;
    private final Shape padding;

    /**
     * @param zeroInit start from zero weights and bias (the last layer of a residual branch)
     */
    public Conv2d(int in, int out, int kernel, int stride, boolean zeroInit) {
        long fanIn = (long) in * kernel * kernel;
        this.weight = param("weight", new Shape(out, in, kernel, kernel),
                zeroInit ? new Init.Zeros() : new Init.FanInUniform(fanIn));
        this.bias = param("bias", new Shape(out), zeroInit ? new Init.Zeros() : new Init.FanInUniform(fanIn));
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(kernel / 2, kernel / 2);
    }

    /** (N, C_in, H, W) to (N, C_out, H / stride, W / stride). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray y = SafeConv.conv2d(x, value(ps, weight, x, training), value(ps, bias, x, training), stride, padding);
        Shape w = weight.getShape();
        Shape out = y.getShape();
        FlopCounter.add(2 * w.size() * out.get(0) * out.get(2) * out.get(3));
        return y;
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/** y = x Wᵀ + b. */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int in, int out) {
        this(in, out, new Init.FanInUniform(in));
    }

    /** A layer whose weight and bias both start as {@code init} says (e.g. zeros, for a branch that starts closed). */
    public Linear(int in, int out, Init init) {
        this.weight = param("weight", new Shape(out, in), init);
        this.bias = param("bias", new Shape(out), init);
    }

    /** (N, in) to (N, out). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        FlopCounter.add(2 * weight.getShape().size() * x.getShape().get(0));
        return ai.djl.nn.core.Linear.linear(x, value(ps, weight, x, training), value(ps, bias, x, training)).singletonOrThrow();
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

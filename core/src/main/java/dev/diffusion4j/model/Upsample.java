package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;

/**
 * Doubles the resolution: nearest-neighbour upsampling, then a 3x3 convolution (DJL's transposed
 * convolution is not implemented on the PyTorch engine).
 */
public final class Upsample extends Module {
    private final Conv2d conv;

    public Upsample(int channels) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 1, false));
    }

    /** (N, C, H, W) to (N, C, 2H, 2W). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray up = x.getNDArrayInternal().interpolation(new long[] {2 * h, 2 * w}, 0, false);
        return conv.forward(ps, up, training);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

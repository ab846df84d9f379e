package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;

/** Halves the resolution with a stride-2 3x3 convolution ((H + 1) / 2 for odd H). */
public final class Downsample extends Module {
    private final Conv2d conv;

    public Downsample(int channels) {
        this.conv = child("conv", new Conv2d(channels, channels, 3, 2, false));
    }

    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return conv.forward(ps, x, training);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

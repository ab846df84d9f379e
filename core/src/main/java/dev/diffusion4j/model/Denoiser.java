package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

/** The network as a sampler sees it: x_t, t and (for a class-conditional network) labels in, the model output out. */
@FunctionalInterface
public interface Denoiser {
    /**
     * @param x (B, C, H, W)
     * @param t (B) integer timesteps
     * @param labels (B) class labels, or null for an unconditional pass
     */
    NDArray apply(NDArray x, NDArray t, NDArray labels);

    /**
     * This network, or a UNet's EMA or raw weights, as a denoiser: its plain output, which for a class-conditional
     * network is the conditional prediction, i.e. guidance 1 (a network that takes the guidance scale as an input is
     * given w = 1).
     */
    static Denoiser of(UNet net, ParameterStore ps) {
        if (net.config().guidanceInput()) {
            return atGuidance(net, ps, 1);
        }
        return (x, t, labels) -> net.forward(ps, x, t, labels, false);
    }

    /**
     * A network that takes the guidance scale as an input ({@link UNetConfig#guidanceInput()}), at scale w: one pass
     * per call.
     *
     * @throws IllegalArgumentException for a network that does not take it
     */
    static Denoiser atGuidance(UNet net, ParameterStore ps, double w) {
        if (!net.config().guidanceInput()) {
            throw new IllegalArgumentException("this network does not take the guidance scale as an input");
        }
        float scale = (float) w;
        return (x, t, labels) -> net.forward(ps, x, t, labels, x.getManager().full(new Shape(x.getShape().get(0)), scale), false);
    }
}

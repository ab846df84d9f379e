package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;

/** The network as a sampler sees it: x_t, t and (for a class-conditional network) labels in, the model output out. */
@FunctionalInterface
public interface Denoiser {
    /**
     * @param x (B, C, H, W)
     * @param t (B) integer timesteps
     * @param labels (B) class labels, or null for an unconditional pass
     */
    NDArray apply(NDArray x, NDArray t, NDArray labels);

    /** This network, or a UNet's EMA or raw weights, as a denoiser. */
    static Denoiser of(UNet net, ai.djl.training.ParameterStore ps) {
        return (x, t, labels) -> net.forward(ps, x, t, labels, false);
    }
}

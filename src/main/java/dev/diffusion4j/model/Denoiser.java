package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;

/** The network as the sampler sees it: x_t and t in, the model output out. */
@FunctionalInterface
public interface Denoiser {
    NDArray apply(NDArray x, NDArray t);
}

package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;

/**
 * What one reverse step gives: the next, less noisy sample and the x_0 predicted on the way.
 *
 * @param prevSample x_{t-1} (or x at the next timestep of a respaced grid)
 * @param predX0 the predicted x_0
 */
public record StepOutput(NDArray prevSample, NDArray predX0) {}

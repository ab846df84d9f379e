package dev.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * A diagonal Gaussian N(mean, variance), as tensors that broadcast against each other.
 *
 * @param mean the mean
 * @param variance the variance
 * @param logVariance its logarithm (finite where the variance was clipped)
 */
public record Gaussian(NDArray mean, NDArray variance, NDArray logVariance) {}

package dev.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The reverse step p_θ(x_{t-1} | x_t) = N(mean, variance) of (5)(20), with what the network's
 * output implies about x_0 and ε.
 *
 * @param mean μ_θ(x_t, t)
 * @param variance σ_t², broadcastable
 * @param logVariance log σ_t²
 * @param predX0 the predicted x_0 (clipped to [-1, 1] when asked)
 * @param predEps the predicted ε
 */
public record ModelPrediction(NDArray mean, NDArray variance, NDArray logVariance, NDArray predX0, NDArray predEps) {}

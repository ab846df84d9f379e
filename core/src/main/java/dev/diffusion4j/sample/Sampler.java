package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;

/**
 * A reverse-process sampler as a pure function: no hidden counters, the random draw passed in. The
 * loop that calls it is written out in {@link SamplingLoop}.
 */
public interface Sampler {
    /** The timesteps at which the model is evaluated, from the noisiest (T) down. */
    int[] timesteps();

    /** Whether {@link #step} uses its noise argument (a deterministic sampler is passed null). */
    default boolean stochastic() {
        return true;
    }

    /**
     * One step from the sample at {@code timesteps()[i]} to the one at {@code timesteps()[i + 1]} (or
     * to x_0 after the last).
     *
     * @param modelOutput the network's output at (x, t)
     * @param i the index into {@link #timesteps()}
     * @param sample x at that timestep, (B, C, H, W)
     * @param noise standard normal noise of the sample's shape (ignored where the step adds none; null
     *     for a sampler that is not {@link #stochastic()})
     */
    StepOutput step(NDArray modelOutput, int i, NDArray sample, NDArray noise);

    /**
     * The same step for samplers that also use the x_0 predicted one step earlier (multistep
     * solvers); the others ignore it.
     *
     * @param previousPredX0 the previous step's predicted x_0, or null at the first step
     */
    default StepOutput step(NDArray modelOutput, int i, NDArray sample, NDArray noise, NDArray previousPredX0) {
        return step(modelOutput, i, sample, noise);
    }
}

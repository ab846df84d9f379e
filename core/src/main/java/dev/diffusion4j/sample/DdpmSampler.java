package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.ModelPrediction;

/**
 * Ancestral sampling, the paper's Algorithm 2: for t = T..1, x_{t-1} = μ_θ(x_t, t) + σ_t z with z ~
 * N(0, I) for t &gt; 1 and z = 0 at t = 1; σ_t² is the diffusion's {@link
 * dev.diffusion4j.diffusion.VarianceType} (β_t or β̃_t), μ_θ the reverse mean (23) at the
 * predicted x_0, clipped to [-1, 1].
 */
public final class DdpmSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final int[] timesteps;

    public DdpmSampler(GaussianDiffusion diffusion) {
        this.diffusion = diffusion;
        int n = diffusion.schedule().steps();
        this.timesteps = new int[n];
        for (int i = 0; i < n; i++) {
            timesteps[i] = n - i;
        }
    }

    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public StepOutput step(NDArray modelOutput, int i, NDArray sample, NDArray noise) {
        int t = timesteps[i];
        NDArray tt = SamplingLoop.timestepArray(sample, t);
        ModelPrediction p = diffusion.pMeanVariance(modelOutput, sample, tt, true);
        NDArray prev = t > 1 ? p.mean().add(p.variance().sqrt().mul(noise)) : p.mean();
        return new StepOutput(prev, p.predX0());
    }
}

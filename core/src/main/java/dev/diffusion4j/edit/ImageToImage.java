package dev.diffusion4j.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplingLoop;

/**
 * Image-to-image, SDEdit (Meng et al. 2021, arXiv 2108.01073): noise the input to a timestep t_0 by (4) and let a
 * sampler denoise it from there; the strength s in [0, 1] says how much of the sampler's grid runs. As diffusers'
 * img2img pipelines do, the last ⌈s·N⌉ of the sampler's N steps run, from x_{t_0} = √ᾱ x_0 + √(1 - ᾱ) ε at the first
 * of them, ε the draw that {@link SamplingLoop#sample} takes as x_T. Strength 0 returns the input; strength 1 is plain
 * sampling from that same x_T (the input is not used, as q(x_T | x_0) ≈ N(0, I)).
 */
public final class ImageToImage {
    private ImageToImage() {}

    /** The index of the first step that runs, N - round(s·N), so that strength 1 runs all N and 0 none. */
    public static int startStep(int steps, double strength) {
        if (!(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be in [0, 1], got " + strength);
        }
        return steps - (int) Math.round(strength * steps);
    }

    /**
     * SDEdit of {@code x0}.
     *
     * @param x0 the input, (B, C, H, W) in [-1, 1]
     * @param labels (B) the class to edit toward for a class-conditional network, or null
     * @return the edited images in [-1, 1], in {@code m}
     */
    public static NDArray edit(Denoiser model, Sampler sampler, GaussianDiffusion diffusion, NDArray x0, double strength, NDArray labels,
            Randomness rng, long firstItem, NDManager m, CancelToken cancel) {
        int[] ts = sampler.timesteps();
        int from = startStep(ts.length, strength);
        if (from == ts.length) {
            return x0.clip(-1, 1);
        }
        NDArray eps = rng.derive("x_T").normalPerItem(m, x0.getShape(), firstItem);
        NDArray x;
        if (from == 0) {
            x = eps;
        } else {
            x = diffusion.qSample(x0, SamplingLoop.timestepArray(x0, ts[from]), eps);
            eps.close();
        }
        return SamplingLoop.run(model, sampler, x, from, rng, firstItem, labels, m, SamplingLoop.Hook.NONE, null, null, cancel);
    }
}

package dev.diffusion4j.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Gradients;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplingLoop;
import java.util.ArrayList;
import java.util.List;

/**
 * Inpainting with a model trained only to generate: the known region of x_0 is put back at every step, noised to the
 * step's timestep by (4), and the model fills in the rest consistently with it.
 * <ul>
 *   <li>{@link #repaint}: RePaint (Lugmayr et al. 2022, arXiv 2201.09865) on the paper's ancestral sampler over a
 *       respaced chain, with its resampling: jumps forward by q(x_t | x_s) and back down again, so that the filled-in
 *       region has time to agree with the known one.</li>
 *   <li>{@link #fast}: the same replacement inside any of the few-step samplers (DDIM, DPM-Solver++, SDE-DPM-Solver++),
 *       with optional resampling of each step.</li>
 * </ul>
 * Both take the known image as x_0 in [-1, 1] and a {@link Mask}; the result's known region is the input's, exactly.
 * The random draws are per sample, as in {@link SamplingLoop}, so sample j is the same whatever the batch.
 */
public final class Inpainting {
    private Inpainting() {}

    /**
     * RePaint's settings.
     *
     * @param steps the respaced chain's length (the paper: 250 of T = 1000)
     * @param jumpLength j, how far each resampling jumps back up (the paper: 10)
     * @param jumpCount r, how many times the chain passes each jump point (the paper: 10; 1 is no resampling)
     */
    public record RePaintSettings(int steps, int jumpLength, int jumpCount) {
        /** The paper's: 250 steps, j = 10, r = 10. */
        public static final RePaintSettings PAPER = new RePaintSettings(250, 10, 10);

        public RePaintSettings {
            if (steps < 1 || jumpLength < 1 || jumpCount < 1) {
                throw new IllegalArgumentException("RePaint needs steps, jump length and jump count ≥ 1, got " + steps + ", " + jumpLength
                        + ", " + jumpCount);
            }
        }

        /** Network evaluations per sample: one per step down of the walk. */
        public int evaluations() {
            int[] walk = jumpSchedule(steps, jumpLength, jumpCount);
            int n = 0;
            for (int k = 1; k < walk.length; k++) {
                n += walk[k] < walk[k - 1] ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * RePaint's walk over the indices of a chain of {@code n} steps: it starts at n - 1 (x_T), steps down by one,
     * and each time it reaches one of the jump points 0, j, 2j, … below n - j it climbs j steps back up, r - 1 times
     * per point, before it goes on down; -1 at the end stands for x_0.
     *
     * @return the indices visited, in order, starting with n - 1 and ending with -1
     */
    public static int[] jumpSchedule(int n, int jumpLength, int jumpCount) {
        int[] jumpsLeft = new int[n];
        for (int t = 0; t < n - jumpLength; t += jumpLength) {
            jumpsLeft[t] = jumpCount - 1;
        }
        List<Integer> ts = new ArrayList<>();
        int t = n;
        while (t >= 1) {
            t--;
            ts.add(t);
            if (jumpsLeft[t] > 0) {
                jumpsLeft[t]--;
                for (int k = 0; k < jumpLength; k++) {
                    t++;
                    ts.add(t);
                }
            }
        }
        ts.add(-1);
        return ts.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * RePaint: x_T from {@code rng.derive("x_T")}, then the walk of {@link #jumpSchedule}. A step down from index k
     * is the ancestral step of the respaced chain (DDIM with η = 1, σ² = β̃ of the respaced β), the unknown region
     * from it and the known one from (4) at the new timestep (x_0 itself at the end); a step up is a draw from
     * q(x_t | x_s) ({@link GaussianDiffusion#qSampleFrom}).
     *
     * @param x0 the known image, (B, C, H, W) in [-1, 1]
     * @param labels (B) class labels for a class-conditional network, or null
     * @return the completed images in [-1, 1], in {@code m}
     */
    public static NDArray repaint(Denoiser model, GaussianDiffusion diffusion, RePaintSettings settings, NDArray x0, Mask mask, NDArray labels,
            Randomness rng, long firstItem, NDManager m, CancelToken cancel) {
        try (Gradients.NotRecording quiet = Gradients.notRecording()) {
            return walk(model, diffusion, settings, x0, mask, labels, rng, firstItem, m, cancel);
        }
    }

    private static NDArray walk(Denoiser model, GaussianDiffusion diffusion, RePaintSettings settings, NDArray x0, Mask mask, NDArray labels,
            Randomness rng, long firstItem, NDManager m, CancelToken cancel) {
        Shape shape = x0.getShape();
        DdimSampler chain = new DdimSampler(diffusion, settings.steps(), 1);
        int[] down = chain.timesteps(); // descending: index k of the walk is down[n - 1 - k]
        int n = down.length;
        int[] walk = jumpSchedule(n, settings.jumpLength(), settings.jumpCount());
        NDArray keep = mask.toArray(m, (int) shape.get(1));
        NDArray x = rng.derive("x_T").normalPerItem(m, shape, firstItem);
        Randomness noise = rng.derive("repaint");
        for (int k = 1; k < walk.length; k++) {
            int from = walk[k - 1];
            int to = walk[k];
            try (NDManager step = m.newSubManager()) {
                x.attach(step);
                NDArray z = noise.step(k).normalPerItem(step, shape, firstItem);
                NDArray next;
                if (to > from) {
                    next = diffusion.qSampleFrom(x, down[n - 1 - from], down[n - 1 - to], z);
                } else {
                    int i = n - 1 - from;
                    NDArray out = model.apply(x, SamplingLoop.timestepArray(x, down[i]), labels);
                    NDArray unknown = chain.step(out, i, x, z).prevSample();
                    NDArray known = to < 0 ? x0 : diffusion.qSample(x0, SamplingLoop.timestepArray(x, down[i + 1]),
                            noise.derive("known").step(k).normalPerItem(step, shape, firstItem));
                    next = combine(keep, known, unknown);
                }
                x = next;
                x.attach(m);
            }
            if (cancel.stopRequested()) {
                x.close();
                cancel.check("nothing written");
            }
        }
        keep.close();
        return x.clip(-1, 1);
    }

    /**
     * Inpainting inside a few-step sampler: after each step the known region is replaced by its draw from (4) at the
     * step's new timestep (x_0 itself after the last); with {@code resample} &gt; 1 each step but the last runs that
     * many times, jumping back to its start by q(x_t | x_s) in between (RePaint's resampling with j = 1). An all-unknown
     * mask with {@code resample} 1 is plain sampling from the same seed, bit for bit.
     *
     * @param x0 the known image, (B, C, H, W) in [-1, 1]
     * @return the completed images in [-1, 1], in {@code m}
     */
    public static NDArray fast(Denoiser model, Sampler sampler, GaussianDiffusion diffusion, NDArray x0, Mask mask, int resample, NDArray labels,
            Randomness rng, long firstItem, NDManager m, CancelToken cancel) {
        if (resample < 1) {
            throw new IllegalArgumentException("resample must be at least 1, got " + resample);
        }
        Shape shape = x0.getShape();
        int[] ts = sampler.timesteps();
        NDArray keep = mask.toArray(m, (int) shape.get(1));
        Randomness known = rng.derive("known");
        Randomness back = rng.derive("resample");
        SamplingLoop.Hook hook = new SamplingLoop.Hook() {
            private int draws;

            @Override
            public NDArray afterStep(int i, NDArray sample, NDManager step) {
                int next = i + 1 < ts.length ? ts[i + 1] : 0;
                NDArray k = next == 0 ? x0 : diffusion.qSample(x0, SamplingLoop.timestepArray(sample, next),
                        known.step(draws++).normalPerItem(step, shape, firstItem));
                return combine(keep, k, sample);
            }

            @Override
            public int repeats(int i) {
                return i + 1 < ts.length ? resample : 1;
            }

            @Override
            public NDArray back(int i, int repeat, NDArray sample, NDManager step) {
                return diffusion.qSampleFrom(sample, ts[i + 1], ts[i], back.step(i).step(repeat).normalPerItem(step, shape, firstItem));
            }
        };
        NDArray x = rng.derive("x_T").normalPerItem(m, shape, firstItem);
        try {
            return SamplingLoop.run(model, sampler, x, 0, rng, firstItem, labels, m, hook, null, null, cancel);
        } finally {
            keep.close();
        }
    }

    /** keep · known + (1 - keep) · unknown, which is {@code unknown} bit for bit where keep is 0. */
    static NDArray combine(NDArray keep, NDArray known, NDArray unknown) {
        return unknown.mul(Ops.add(keep.neg(), 1)).add(known.mul(keep));
    }
}

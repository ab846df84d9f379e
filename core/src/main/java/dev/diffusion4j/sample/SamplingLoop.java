package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Gradients;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.StopRequests;
import dev.diffusion4j.model.Denoiser;
import java.util.function.IntConsumer;

/**
 * The denoising loop, written out: x_T ~ N(0, I), then one {@link Sampler#step} per timestep of the
 * sampler's grid, each in its own NDManager scope. Every random draw comes from the {@link
 * Randomness} passed in, one stream per sample index ({@code x_T} from {@code derive("x_T")}, the
 * noise of step i from {@code derive("noise").step(i)}): the same seed, model and sampler give the
 * same images, whatever the batch size.
 */
public final class SamplingLoop {
    private SamplingLoop() {}

    /**
     * Called after each step with the index of the batch's first sample, the step index, the timestep, the new
     * sample and the predicted x_0; the arrays are freed after the call, so copy what you keep.
     */
    @FunctionalInterface
    public interface Observer {
        void after(long firstItem, int i, int t, NDArray sample, NDArray predX0);
    }

    /** (B) timesteps all equal to {@code t}, in the manager of {@code like}. */
    public static NDArray timestepArray(NDArray like, int t) {
        return like.getManager().full(new Shape(like.getShape().get(0)), t, DataType.INT64);
    }

    /**
     * What an editing method changes in the loop (inpainting, resampling): the sample after each step, and how many
     * times each step runs. The default changes nothing, which is plain sampling.
     */
    public interface Hook {
        /** Plain sampling. */
        Hook NONE = new Hook() {};

        /**
         * The sample after step i (at {@code timesteps()[i + 1]}, or x_0 after the last step), changed as the method
         * needs; arrays it makes belong to {@code step}.
         */
        default NDArray afterStep(int i, NDArray sample, NDManager step) {
            return sample;
        }

        /** How many times step i runs (resampling); 1 by default. */
        default int repeats(int i) {
            return 1;
        }

        /**
         * Back from the sample after step i to {@code timesteps()[i]}, before step i runs again; {@code repeat}
         * counts the runs so far (1 after the first).
         */
        default NDArray back(int i, int repeat, NDArray sample, NDManager step) {
            throw new UnsupportedOperationException("this hook does not resample");
        }
    }

    /**
     * Draws samples.
     *
     * @param shape (B, C, H, W)
     * @param rng the generators; item j of the batch is sample {@code firstItem + j}
     * @param firstItem the index of the batch's first sample
     * @param labels (B) class labels for a class-conditional network, or null
     * @param observer may be null
     * @param progress called with the number of steps done, may be null
     * @param cancel checked after every step
     * @return x_0 in [-1, 1] (clipped), in {@code m}
     * @throws StopRequests.Stopped when {@code cancel} asks, with every array of the call freed
     */
    public static NDArray sample(Denoiser model, Sampler sampler, Shape shape, Randomness rng, long firstItem, NDArray labels,
            NDManager m, Observer observer, IntConsumer progress, CancelToken cancel) {
        NDArray x = rng.derive("x_T").normalPerItem(m, shape, firstItem);
        return run(model, sampler, x, 0, rng, firstItem, labels, m, Hook.NONE, observer, progress, cancel);
    }

    /**
     * The loop from step {@code from} (the sample {@code x} is at {@code timesteps()[from]}): one {@link Sampler#step}
     * per remaining timestep, each in its own scope, changed by {@code hook}. {@code x} is taken over (freed as the
     * loop goes); step i's noise is {@code rng.derive("noise").step(i)} as in {@link #sample}, so that a hook that
     * changes nothing gives plain sampling bit for bit.
     *
     * @return x_0 in [-1, 1] (clipped), in {@code m}
     */
    public static NDArray run(Denoiser model, Sampler sampler, NDArray x, int from, Randomness rng, long firstItem, NDArray labels,
            NDManager m, Hook hook, Observer observer, IntConsumer progress, CancelToken cancel) {
        try (Gradients.NotRecording quiet = Gradients.notRecording()) {
            return loop(model, sampler, x, from, rng, firstItem, labels, m, hook, observer, progress, cancel);
        }
    }

    private static NDArray loop(Denoiser model, Sampler sampler, NDArray x, int from, Randomness rng, long firstItem, NDArray labels,
            NDManager m, Hook hook, Observer observer, IntConsumer progress, CancelToken cancel) {
        Randomness noises = rng.derive("noise");
        Shape shape = x.getShape();
        int[] ts = sampler.timesteps();
        NDArray previousPredX0 = null;
        for (int i = from; i < ts.length; i++) {
            try (NDManager step = m.newSubManager()) {
                NDArray xi = x;
                xi.attach(step); // the previous sample and prediction are freed with this step
                if (previousPredX0 != null) {
                    previousPredX0.attach(step);
                }
                NDArray t = timestepArray(xi, ts[i]);
                StepOutput o = null;
                int repeats = hook.repeats(i);
                for (int r = 0; r < repeats; r++) {
                    if (r > 0) {
                        xi = hook.back(i, r, o.prevSample(), step);
                    }
                    NDArray out = model.apply(xi, t, labels);
                    Randomness stepNoise = r == 0 ? noises.step(i) : noises.step(i).derive("repeat " + r);
                    NDArray noise = sampler.stochastic() ? stepNoise.normalPerItem(step, shape, firstItem) : null;
                    o = sampler.step(out, i, xi, noise, previousPredX0);
                    o = new StepOutput(hook.afterStep(i, o.prevSample(), step), o.predX0());
                }
                if (observer != null) {
                    observer.after(firstItem, i, ts[i], o.prevSample(), o.predX0());
                }
                x = o.prevSample();
                x.attach(m);
                previousPredX0 = o.predX0();
                previousPredX0.attach(m);
            }
            if (progress != null) {
                progress.accept(i + 1);
            }
            if (cancel.stopRequested()) {
                x.close();
                previousPredX0.close();
                cancel.check("no samples written");
            }
        }
        if (previousPredX0 != null) {
            previousPredX0.close();
        }
        return x.clip(-1, 1);
    }

    /**
     * {@code num} samples as 8-bit NCHW pixels, drawn in batches; sample j is the same in any batch.
     *
     * @param labels the class label of each sample for a class-conditional network, or null
     * @param observer observes every batch's steps, may be null
     * @param progress called with the number of samples done after each batch, may be null
     * @param cancel checked after every step
     */
    public static byte[] generate(Denoiser model, Sampler sampler, int num, int batch, int channels, int height, int width,
            Randomness rng, long[] labels, NDManager m, Observer observer, IntConsumer progress, CancelToken cancel) {
        return generateRange(model, sampler, 0, num, batch, channels, height, width, rng, labels, m, observer, progress, cancel);
    }

    /**
     * Samples {@code from} to {@code to - 1} as 8-bit NCHW pixels, drawn in batches from {@code from} on: the same bytes
     * as that slice of {@link #generate} over {@code to} samples, since sample j depends only on {@code rng} and j.
     *
     * @param labels the class label of each sample of the range (entry 0 is sample {@code from}'s), or null
     * @param observer observes every batch's steps (with the global index of the batch's first sample), may be null
     * @param progress called with the number of the range's samples done after each batch, may be null
     * @param cancel checked after every step
     */
    public static byte[] generateRange(Denoiser model, Sampler sampler, int from, int to, int batch, int channels, int height, int width,
            Randomness rng, long[] labels, NDManager m, Observer observer, IntConsumer progress, CancelToken cancel) {
        int per = channels * height * width;
        int num = to - from;
        byte[] pixels = new byte[num * per];
        for (int done = 0; done < num; done += batch) {
            int b = Math.min(batch, num - done);
            try (NDManager bm = m.newSubManager()) {
                NDArray y = labels == null ? null : bm.create(java.util.Arrays.copyOfRange(labels, done, done + b));
                NDArray x = sample(model, sampler, new Shape(b, channels, height, width), rng, from + done, y, bm, observer, null, cancel);
                byte[] part = Pixels.toBytes(x);
                System.arraycopy(part, 0, pixels, done * per, part.length);
            }
            if (progress != null) {
                progress.accept(done + b);
            }
        }
        return pixels;
    }
}

package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.engine.CancelToken;
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
    static NDArray timestepArray(NDArray like, int t) {
        return like.getManager().full(new Shape(like.getShape().get(0)), t, DataType.INT64);
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
        Randomness noises = rng.derive("noise");
        int[] ts = sampler.timesteps();
        NDArray previousPredX0 = null;
        for (int i = 0; i < ts.length; i++) {
            try (NDManager step = m.newSubManager()) {
                NDArray xi = x;
                xi.attach(step); // the previous sample and prediction are freed with this step
                if (previousPredX0 != null) {
                    previousPredX0.attach(step);
                }
                NDArray t = timestepArray(xi, ts[i]);
                NDArray out = model.apply(xi, t, labels);
                NDArray noise = sampler.stochastic() ? noises.step(i).normalPerItem(step, shape, firstItem) : null;
                StepOutput o = sampler.step(out, i, xi, noise, previousPredX0);
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
        int per = channels * height * width;
        byte[] pixels = new byte[num * per];
        for (int from = 0; from < num; from += batch) {
            int b = Math.min(batch, num - from);
            try (NDManager bm = m.newSubManager()) {
                NDArray y = labels == null ? null : bm.create(java.util.Arrays.copyOfRange(labels, from, from + b));
                NDArray x = sample(model, sampler, new Shape(b, channels, height, width), rng, from, y, bm, observer, null, cancel);
                byte[] part = Pixels.toBytes(x);
                System.arraycopy(part, 0, pixels, from * per, part.length);
            }
            if (progress != null) {
                progress.accept(from + b);
            }
        }
        return pixels;
    }
}

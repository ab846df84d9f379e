package dev.diffusion4j.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Gradients;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.SamplingLoop;

/**
 * Which class a partly known image belongs to, asked of the class-conditional model itself: the diffusion classifier
 * (Li et al. 2023, arXiv 2303.16203) on the known region only. By (24) and (25) the bound −log p(x_0 | c) is, up to
 * terms that do not depend on c and a weight per timestep, E_{t,ε} ‖ε − ε_θ(x_t, t, c)‖² with x_t from (4); the class
 * whose prediction of the noise is best is the likeliest. Only the known pixels are scored: their sum is the bound of the
 * known region's own likelihood, which is what the image says about its class, while the unknown region enters x_t
 * as pure noise (x_T's distribution), which says nothing.
 *
 * <p>All classes are scored on the same draws (t_i, ε_i), so the comparison is paired: the noise of the estimate is
 * largely common to the classes and cancels in their differences. The timesteps are an even grid, as the paper's, but
 * over the upper three quarters of the chain ({@link #FROM}): on 300 MNIST test digits with their bottom half unknown
 * (not the 1,000 that the figures of docs/EDITING.md complete), one trial at t &lt; T/4 named the true class 13-27% of
 * the time, near chance, and one at T/2 about 70%; the trials below T/4 add little to the sum but noise.
 */
public final class ClassInference {
    private ClassInference() {}

    /** The trial timesteps start above this fraction of T. */
    public static final double FROM = 0.25;

    /**
     * The trial timesteps: {@code trials} points evenly over the chain above ⌊FROM·T⌋ = s,
     * t_i = s + 1 + ⌊(i + ½)(T − s) / n⌋, ascending.
     *
     * @param steps T
     * @param trials n ≥ 1
     */
    public static int[] timesteps(int steps, int trials) {
        if (trials < 1) {
            throw new IllegalArgumentException("trials must be at least 1, got " + trials);
        }
        int s = (int) Math.floor(FROM * steps);
        int[] ts = new int[trials];
        for (int i = 0; i < trials; i++) {
            ts[i] = s + 1 + (int) Math.floor((i + 0.5) * (steps - s) / trials);
        }
        return ts;
    }

    /**
     * The known region's denoising error under each class: for each image and class c, the mean over the trials of
     * ‖m ⊙ (ε_i − ε̂_θ(x_{t_i}, t_i, c))‖² / |m|, with x_{t_i} = √ᾱ x_0 + √(1 − ᾱ) ε_i on the known pixels (4) and ε_i
     * on the unknown ones. The network's output is turned into ε̂ by the diffusion's prediction type.
     *
     * @param model the class-conditional network (unguided: its conditional prediction)
     * @param x0 the images, (B, C, H, W) in [-1, 1]; their unknown pixels do not matter
     * @param mask what is known (at least one pixel)
     * @param classes the number of classes K; class c is label c
     * @param trials the number of (t, ε) draws per image
     * @param rng the draws: ε_i of item j from {@code rng.derive("classify").step(i)}, item j as in {@link Randomness#normalPerItem}
     * @param firstItem the index of the first image, for the per-item draws
     * @return (B, K) errors in {@code m}, float32; lower is likelier
     */
    public static NDArray knownRegionErrors(Denoiser model, GaussianDiffusion diffusion, NDArray x0, Mask mask, int classes, int trials,
            Randomness rng, long firstItem, NDManager m) {
        if (mask.known() == 0) {
            throw new IllegalArgumentException("the mask keeps no pixel: nothing to infer a class from");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be at least 1, got " + classes);
        }
        Shape shape = x0.getShape();
        long b = shape.get(0);
        int[] ts = timesteps(diffusion.schedule().steps(), trials);
        Randomness draws = rng.derive("classify");
        NDArray keep = mask.toArray(m, (int) shape.get(1));
        NDArray labels = m.arange(0, classes, 1, DataType.INT64).expandDims(1).repeat(1, b).reshape(classes * b);
        NDArray sum = m.zeros(new Shape(classes, b));
        try (Gradients.NotRecording quiet = Gradients.notRecording()) {
            for (int i = 0; i < ts.length; i++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray eps = draws.step(i).normalPerItem(step, shape, firstItem);
                    NDArray err = trial(model, diffusion, x0, keep, mask.known(), labels, ts[i], eps);
                    NDArray next = sum.add(err);
                    next.attach(m);
                    sum.close();
                    sum = next;
                }
            }
        }
        NDArray mean = Ops.div(sum, ts.length).transpose();
        sum.close();
        keep.close();
        labels.close();
        return mean;
    }

    /**
     * One trial: (K, B) known-region errors at timestep t with noise {@code eps}, every class in one batch; the arrays
     * it makes belong to {@code eps}'s manager.
     *
     * @param keep the mask as a (1, C, H, W) array, 1 where known
     * @param known the number of known pixels per channel
     * @param labels (K·B) labels, class c for the c-th copy of the batch
     */
    private static NDArray trial(Denoiser model, GaussianDiffusion diffusion, NDArray x0, NDArray keep, int known, NDArray labels, int t,
            NDArray eps) {
        Shape shape = x0.getShape();
        long b = shape.get(0);
        long classes = labels.getShape().get(0) / b;
        NDArray noised = diffusion.qSample(x0, SamplingLoop.timestepArray(eps, t), eps);
        NDArray xt = Inpainting.combine(keep, noised, eps);
        NDArray batch = xt.expandDims(0).repeat(0, classes).reshape(new Shape(classes * b).addAll(shape.slice(1)));
        NDArray tk = SamplingLoop.timestepArray(batch, t);
        NDArray predicted = diffusion.predictEps(model.apply(batch, tk, labels), batch, tk);
        NDArray target = eps.expandDims(0).repeat(0, classes).reshape(batch.getShape());
        NDArray sq = predicted.sub(target).square().mul(keep);
        return Ops.div(sq.reshape(classes, b, -1).sum(new int[] {2}), (double) known * shape.get(1));
    }

    /**
     * The likeliest class of each image: the one with the lowest error.
     *
     * @param errors (B, K), from {@link #knownRegionErrors}
     * @return B labels
     */
    public static long[] likeliest(NDArray errors) {
        return errors.argMin(1).toType(DataType.INT64, false).toLongArray();
    }
}

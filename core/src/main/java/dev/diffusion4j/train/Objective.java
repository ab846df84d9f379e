package dev.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import java.util.SplittableRandom;

/**
 * What a training step minimises: which timesteps it draws and the loss of the network's output there. The step
 * itself (batch, noise by (4), backward pass, clipping, AdamW, EMA) is the same for every objective ({@link Trainer}).
 */
public interface Objective {
    /**
     * The diffusion's own loss ({@link GaussianDiffusion#trainingLoss}: (25), (24) or the configured weighting) at t
     * drawn uniformly from 1..T, as the paper's Algorithm 1 does.
     */
    static Objective denoising(GaussianDiffusion d) {
        int n = d.schedule().steps();
        return new Objective() {
            @Override
            public long timestep(SplittableRandom r) {
                return 1 + r.nextInt(n);
            }

            @Override
            public NDArray loss(NDArray out, NDArray x0, NDArray xt, NDArray t, NDArray noise, NDArray target) {
                return d.trainingLoss(out, x0, xt, t, noise);
            }
        };
    }

    /** One item's timestep, in 1..T. */
    long timestep(SplittableRandom r);

    /** Whether each item also has a guidance scale that the network takes as an input ({@link #guidance}). */
    default boolean guided() {
        return false;
    }

    /**
     * One item's guidance scale, for a {@link #guided()} objective.
     *
     * @throws IllegalStateException for an objective that is not guided
     */
    default double guidance(SplittableRandom r) {
        throw new IllegalStateException("this objective draws no guidance scale");
    }

    /**
     * What the loss compares the output with when the data alone does not say (a teacher's prediction), computed
     * before the step records gradients; null when the loss needs nothing more.
     *
     * @param labels (B) the batch's labels after dropout, or null for an unconditional model
     */
    default NDArray target(NDArray x0, NDArray xt, NDArray t, NDArray labels) {
        return null;
    }

    /**
     * The target of a {@link #guided()} objective, at each item's guidance scale.
     *
     * @param w (B) the items' guidance scales, or null when the objective is not guided
     */
    default NDArray target(NDArray x0, NDArray xt, NDArray t, NDArray labels, NDArray w) {
        return target(x0, xt, t, labels);
    }

    /**
     * The loss per batch item.
     *
     * @param out the network's output at (x_t, t)
     * @param target what {@link #target} returned
     */
    NDArray loss(NDArray out, NDArray x0, NDArray xt, NDArray t, NDArray noise, NDArray target);
}

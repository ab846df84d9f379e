package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.model.Denoiser;

/**
 * Classifier-free guidance (Ho and Salimans, 2022): ε̃ = ε_θ(x, t, ∅) + w (ε_θ(x, t, y) - ε_θ(x, t, ∅)),
 * with the conditional and unconditional halves in one batched forward pass. w = 1 is the plain
 * conditional prediction and w = 0 the unconditional one; both take a single pass and are exactly
 * those. Applied to the raw output, it is the same for ε, x_0 and v networks, since x_0 and v are
 * affine in ε at a given x_t.
 */
public final class Guidance {
    private Guidance() {}

    /**
     * A class-conditional network at guidance scale w, as cheaply as it allows: one pass at w for a network that takes
     * the scale as an input (a guided-distillation student, {@link dev.diffusion4j.model.UNetConfig#guidanceInput()}),
     * classifier-free guidance ({@link #of(Denoiser, double, int)}) for any other.
     *
     * @param w the guidance scale, ≥ 0
     */
    public static Denoiser of(dev.diffusion4j.model.UNet net, ai.djl.training.ParameterStore ps, double w) {
        requireScale(w);
        if (net.config().guidanceInput()) {
            return Denoiser.atGuidance(net, ps, w);
        }
        return of(Denoiser.of(net, ps), w, net.config().nullLabel());
    }

    /**
     * The guided network.
     *
     * @param net a class-conditional network
     * @param w the guidance scale, ≥ 0
     * @param nullLabel the "no class" label K
     */
    public static Denoiser of(Denoiser net, double w, int nullLabel) {
        requireScale(w);
        if (w == 1) {
            return net;
        }
        return (x, t, labels) -> {
            if (labels == null) {
                return net.apply(x, t, null);
            }
            NDArray none = x.getManager().full(labels.getShape(), nullLabel, DataType.INT64);
            if (w == 0) {
                return net.apply(x, t, none);
            }
            long b = x.getShape().get(0);
            NDArray both = net.apply(x.concat(x, 0), t.concat(t, 0), labels.toType(DataType.INT64, false).concat(none, 0));
            NDArray cond = both.get(new NDIndex("0:{}", b));
            NDArray uncond = both.get(new NDIndex("{}:", b));
            return Ops.affineInto(cond.sub(uncond), x.getManager().full(new ai.djl.ndarray.types.Shape(), (float) w), uncond);
        };
    }

    private static void requireScale(double w) {
        if (!(w >= 0) || !Double.isFinite(w)) {
            throw new IllegalArgumentException("the guidance scale must be ≥ 0, got " + w);
        }
    }
}

package dev.diffusion4j.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Gradients;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.sample.SamplingLoop;

/**
 * DDIM inversion and interpolation: the deterministic DDIM (η = 0), a discretisation of the probability-flow ODE, run
 * from x_0 up to x_T, so that decoding x_T with the same DDIM gives the image back (up to the discretisation error,
 * measured in docs/EDITING.md), and two images' latents can be mixed and decoded.
 */
public final class Inversion {
    private Inversion() {}

    /**
     * x_T for {@code x0} on the grid τ_1 &lt; … &lt; τ_S of DDIM with S steps: from x at τ_{k-1} to τ_k,
     * x' = √ᾱ_{τ_k} x̂_0 + √(1 - ᾱ_{τ_k}) ε̂, with x̂_0 and ε̂ the network's at (x, τ_{k-1}) (ε̂ is assumed to change little
     * over one step, as in every DDIM inversion). The first step starts at x_0 itself, where x̂_0 = x_0 and ε̂ is the
     * network's at (x_0, τ_1), the first timestep it knows.
     *
     * @param x0 the images, (B, C, H, W) in [-1, 1]
     * @param labels (B) class labels for a class-conditional network, or null
     * @return x_T, in {@code m}
     */
    public static NDArray invert(Denoiser model, GaussianDiffusion diffusion, int steps, NDArray x0, NDArray labels, NDManager m,
            CancelToken cancel) {
        try (Gradients.NotRecording quiet = Gradients.notRecording()) {
            return upward(model, diffusion, steps, x0, labels, m, cancel);
        }
    }

    private static NDArray upward(Denoiser model, GaussianDiffusion diffusion, int steps, NDArray x0, NDArray labels, NDManager m,
            CancelToken cancel) {
        int[] down = new DdimSampler(diffusion, steps, 0).timesteps();
        NDArray x = x0.duplicate();
        for (int k = 0; k < down.length; k++) {
            int to = down[down.length - 1 - k];
            int at = k == 0 ? to : down[down.length - k];
            try (NDManager step = m.newSubManager()) {
                x.attach(step);
                NDArray t = SamplingLoop.timestepArray(x, at);
                NDArray out = model.apply(x, t, labels);
                NDArray x0Hat = k == 0 ? x : diffusion.predictX0(out, x, t);
                NDArray epsHat = diffusion.predictEps(out, x, t);
                double ab = diffusion.schedule().alphaBar(to);
                NDArray next = Ops.mul(x0Hat, Math.sqrt(ab)).add(Ops.mul(epsHat, Math.sqrt(1 - ab)));
                next.attach(m);
                x = next;
            }
            if (cancel.stopRequested()) {
                x.close();
                cancel.check("nothing written");
            }
        }
        return x;
    }

    /** x_T decoded by DDIM (η = 0) with {@code steps} steps: the inverse of {@link #invert} up to discretisation. */
    public static NDArray decode(Denoiser model, GaussianDiffusion diffusion, int steps, NDArray xT, NDArray labels, NDManager m,
            CancelToken cancel) {
        return SamplingLoop.run(model, new DdimSampler(diffusion, steps, 0), xT.duplicate(), 0, Randomness.of(0), 0, labels, m,
                SamplingLoop.Hook.NONE, null, null, cancel);
    }

    /**
     * Spherical interpolation between two latents, per sample: sin((1 - w)θ)/sin θ · a + sin(wθ)/sin θ · b, θ the angle
     * between a and b (linear where they are parallel). Latents of a Gaussian prior keep their norm this way, which a
     * straight line between them would shrink.
     *
     * @param a (1, C, H, W)
     * @param b (1, C, H, W)
     * @param w in [0, 1]
     */
    public static NDArray slerp(NDArray a, NDArray b, double w) {
        double[] x = Ops.toDouble(a, a.getManager()).toDoubleArray();
        double[] y = Ops.toDouble(b, b.getManager()).toDoubleArray();
        double dot = 0;
        double nx = 0;
        double ny = 0;
        for (int i = 0; i < x.length; i++) {
            dot += x[i] * y[i];
            nx += x[i] * x[i];
            ny += y[i] * y[i];
        }
        double cos = Math.max(-1, Math.min(1, dot / Math.sqrt(nx * ny)));
        double theta = Math.acos(cos);
        double ca;
        double cb;
        if (theta < 1e-6) {
            ca = 1 - w;
            cb = w;
        } else {
            ca = Math.sin((1 - w) * theta) / Math.sin(theta);
            cb = Math.sin(w * theta) / Math.sin(theta);
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (ca * x[i] + cb * y[i]);
        }
        return a.getManager().create(out, a.getShape());
    }
}

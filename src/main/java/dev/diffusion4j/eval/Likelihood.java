package dev.diffusion4j.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.sample.Denoiser;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The variational bound (17) in bits per dimension, per image: L = L_T + Σ_{t>1} L_{t-1} + L_0,
 * with the data on its 256 levels and the discrete decoder for L_0.
 *
 * <p>With {@code strata = 0} every one of the T terms is computed. With {@code strata = K}, L_T
 * and L_0 are still exact and the T - 1 KL terms are estimated by stratified sampling: t = 2..T is
 * cut into K equal strata, one t is drawn uniformly in each for each image, and each term is weighted
 * by its stratum's size (an unbiased estimate of their sum).
 */
public final class Likelihood {
    private Likelihood() {}

    /**
     * Per-image results, in bits per dimension.
     *
     * @param total L for each image
     * @param prior L_T for each image
     * @param decoder L_0 for each image
     * @param quartiles the diffusion terms summed per quartile of t (t ≤ T/4, …), per image
     * @param perTimestep mean over images of each exact term L_{t-1} (index t), only when every term was computed
     */
    public record Result(double[] total, double[] prior, double[] decoder, double[][] quartiles, double[] perTimestep) {
        /** The mean of an array and its standard error. */
        public static double[] meanAndSe(double[] v) {
            double mean = 0;
            for (double x : v) {
                mean += x / v.length;
            }
            double var = 0;
            for (double x : v) {
                var += (x - mean) * (x - mean);
            }
            var /= Math.max(1, v.length - 1);
            return new double[] {mean, Math.sqrt(var / v.length)};
        }
    }

    /** Computes the bound for the first {@code num} images of {@code data}. */
    public static Result bpd(Denoiser model, GaussianDiffusion d, ImageDataset data, int num, int batch, int strata, long seed,
            NDManager m, IntConsumer progress) {
        int n = Math.min(num, data.count());
        int steps = d.schedule().steps();
        if (strata < 0 || strata > Math.max(0, steps - 1)) {
            throw new IllegalArgumentException("--timesteps must be in 0.." + (steps - 1) + ", got " + strata);
        }
        double[] total = new double[n];
        double[] prior = new double[n];
        double[] decoder = new double[n];
        double[][] quart = new double[4][n];
        double[] perT = strata == 0 ? new double[steps + 1] : null;
        SplittableRandom rng = new SplittableRandom(seed);
        Engine.getInstance().setRandomSeed((int) (seed & 0x7fffffff));
        int done = 0;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            int[] idx = new int[b];
            for (int i = 0; i < b; i++) {
                idx[i] = from + i;
            }
            try (NDManager bm = m.newSubManager()) {
                NDArray x0 = data.batch(bm, idx, null);
                float[] p = d.priorBpd(x0).toFloatArray();
                for (int i = 0; i < b; i++) {
                    prior[from + i] = p[i];
                    total[from + i] += p[i];
                }
                // the terms to evaluate: every t, or t = 1 plus one t per stratum of 2..T, per image
                int evaluations = strata == 0 ? steps : 1 + strata;
                for (int e = 0; e < evaluations; e++) {
                    long[] ts = new long[b];
                    double[] weight = new double[b];
                    for (int i = 0; i < b; i++) {
                        if (strata == 0 || e == 0) {
                            ts[i] = strata == 0 ? e + 1 : 1;
                            weight[i] = 1;
                        } else {
                            long lo = 2 + (long) (e - 1) * (steps - 1) / strata;
                            long hi = 1 + (long) e * (steps - 1) / strata;
                            ts[i] = lo + rng.nextLong(hi - lo + 1);
                            weight[i] = hi - lo + 1;
                        }
                    }
                    try (NDManager sm = bm.newSubManager()) {
                        // every operation of this evaluation in its own scope: x_0 is copied in, since results
                        // land in the manager of their first operand
                        NDArray x = x0.duplicate();
                        x.attach(sm);
                        NDArray t = sm.create(ts);
                        NDArray noise = sm.randomNormal(x.getShape());
                        NDArray xt = d.qSample(x, t, noise);
                        float[] term = d.vbTermBpd(model.apply(xt, t), x, xt, t).toFloatArray();
                        for (int i = 0; i < b; i++) {
                            double v = weight[i] * term[i];
                            total[from + i] += v;
                            if (ts[i] == 1) {
                                decoder[from + i] = term[i];
                            } else {
                                int q = (int) Math.min(3, (ts[i] - 1) * 4 / steps);
                                quart[q][from + i] += v;
                            }
                            if (perT != null) {
                                perT[(int) ts[i]] += term[i] / n;
                            }
                        }
                    }
                }
            }
            done += b;
            if (progress != null) {
                progress.accept(done);
            }
        }
        return new Result(total, prior, decoder, quart, perT);
    }
}

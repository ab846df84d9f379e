package dev.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.StopRequests;
import dev.diffusion4j.model.Denoiser;
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

    /**
     * Computes the bound for the first {@code num} images of {@code data}. The noise of image i in
     * evaluation round e (round 0 is t = 1) comes from {@code rng.derive("noise").step(e)}'s stream
     * for item i, so the decoder term L_0 of an image is the same with or without strata; the strata's
     * timesteps come from {@code rng.derive("strata")}.
     */
    public static Result bpd(Denoiser model, GaussianDiffusion d, ImageDataset data, int num, int batch, int strata, Randomness rng,
            NDManager m, IntConsumer progress) {
        int n = Math.min(num, data.count());
        int steps = d.schedule().steps();
        if (strata < 0 || strata > Math.max(0, steps - 1)) {
            throw new IllegalArgumentException("--timesteps must be in 0.." + (steps - 1) + ", got " + strata);
        }
        Sums sums = new Sums(n, steps, strata == 0);
        SplittableRandom strataDraws = rng.derive("strata").stream();
        // the terms to evaluate: every t, or t = 1 plus one t per stratum of 2..T, per image
        int evaluations = strata == 0 ? steps : 1 + strata;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (NDManager bm = m.newSubManager()) {
                NDArray x0 = data.batch(bm, java.util.stream.IntStream.range(from, from + b).toArray(), null);
                sums.addPrior(from, d.priorBpd(x0).toFloatArray());
                for (int e = 0; e < evaluations; e++) {
                    Terms terms = Terms.draw(e, b, strata, steps, strataDraws);
                    Randomness noise = rng.derive("noise").step(e);
                    sums.addTerms(from, terms, term(model, d, x0, terms.timesteps(), noise, from, bm));
                }
            }
            if (progress != null) {
                progress.accept(from + b);
            }
            StopRequests.check("no result written");
        }
        return sums.result();
    }

    /**
     * Which timestep each image of a batch evaluates in one round, and the weight of its term: round 0
     * is t = 1 (L_0); with strata, round e &gt; 0 draws t uniformly in the e-th stratum of 2..T and
     * weighs it by the stratum's size; without, round e is t = e + 1.
     */
    private record Terms(long[] timesteps, double[] weights) {
        static Terms draw(int e, int b, int strata, int steps, SplittableRandom rng) {
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
            return new Terms(ts, weight);
        }
    }

    /** One term of the bound per image, L_{t-1} (or L_0 at t = 1) in bits/dim, at a fresh draw of x_t. */
    private static float[] term(Denoiser model, GaussianDiffusion d, NDArray x0, long[] ts, Randomness noiseRng, long firstImage,
            NDManager parent) {
        try (NDManager sm = parent.newSubManager()) {
            // every operation of this evaluation in its own scope: x_0 is copied in, since results
            // land in the manager of their first operand
            NDArray x = x0.duplicate();
            x.attach(sm);
            NDArray t = sm.create(ts);
            NDArray noise = noiseRng.normalPerItem(sm, x.getShape(), firstImage);
            NDArray xt = d.qSample(x, t, noise);
            return d.vbTermBpd(model.apply(xt, t, null), x, xt, t).toFloatArray();
        }
    }

    /** Per-image sums of the terms, split into prior, decoder and quartiles of t. */
    private static final class Sums {
        private final int steps;
        private final double[] total;
        private final double[] prior;
        private final double[] decoder;
        private final double[][] quart;
        private final double[] perT;

        Sums(int n, int steps, boolean everyTerm) {
            this.steps = steps;
            this.total = new double[n];
            this.prior = new double[n];
            this.decoder = new double[n];
            this.quart = new double[4][n];
            this.perT = everyTerm ? new double[steps + 1] : null;
        }

        void addPrior(int from, float[] p) {
            for (int i = 0; i < p.length; i++) {
                prior[from + i] = p[i];
                total[from + i] += p[i];
            }
        }

        void addTerms(int from, Terms terms, float[] term) {
            long[] ts = terms.timesteps();
            for (int i = 0; i < term.length; i++) {
                double v = terms.weights()[i] * term[i];
                total[from + i] += v;
                if (ts[i] == 1) {
                    decoder[from + i] = term[i];
                } else {
                    int q = (int) Math.min(3, (ts[i] - 1) * 4 / steps);
                    quart[q][from + i] += v;
                }
                if (perT != null) {
                    perT[(int) ts[i]] += term[i] / total.length;
                }
            }
        }

        Result result() {
            return new Result(total, prior, decoder, quart, perT);
        }
    }
}

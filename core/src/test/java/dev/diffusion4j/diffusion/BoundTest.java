package dev.diffusion4j.diffusion;

import static dev.diffusion4j.testing.Tensors.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import org.junit.jupiter.api.Test;

/** The terms of the bound (17): Gaussian KL (18), (21)-(24), the decoder L_0 and the prior L_T. */
class BoundTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);

    @Test
    void gaussianKlMatchesMonteCarlo() {
        double[][] cases = {{0, 1, 0, 1}, {0.5, 0.3, -0.2, 1.7}, {1, 2, 0, 1}, {-1, 0.01, -1.05, 0.02}, {0.3, 1e-3, 0.31, 2e-3}};
        int n = 1_000_000;
        try (NDManager m = Tensors.manager(21)) {
            for (double[] c : cases) {
                double mu1 = c[0], v1 = c[1], mu2 = c[2], v2 = c[3];
                double kl = doubles(GaussianMath.normalKl(
                        m.create(new float[] {(float) mu1}), m.create(new float[] {(float) Math.log(v1)}),
                        m.create(new float[] {(float) mu2}), m.create(new float[] {(float) Math.log(v2)})))[0];
                double closed = Math.log(Math.sqrt(v2 / v1)) + (v1 + (mu1 - mu2) * (mu1 - mu2)) / (2 * v2) - 0.5; // (18) as printed
                assertThat(kl).isCloseTo(closed, within(1e-5 * (1 + closed)));
                // E_{x~p1}[log p1(x) - log p2(x)]
                double[] z = doubles(m.randomNormal(new Shape(n)));
                double sum = 0;
                double sumSq = 0;
                for (double zi : z) {
                    double x = mu1 + Math.sqrt(v1) * zi;
                    double d = (-0.5 * Math.log(v1) - (x - mu1) * (x - mu1) / (2 * v1))
                            - (-0.5 * Math.log(v2) - (x - mu2) * (x - mu2) / (2 * v2));
                    sum += d;
                    sumSq += d * d;
                }
                double mc = sum / n;
                double se = Math.sqrt((sumSq / n - mc * mc) / n);
                assertThat(Math.abs(mc - kl)).as("KL %s: mc %.6f closed %.6f", java.util.Arrays.toString(c), mc, kl)
                        .isLessThan(5 * se + 1e-6);
            }
        }
    }

    /**
     * (21)-(24): with μ_θ from (23) and σ_t² fixed, the KL between (19) and (20) is the weight of
     * (24) times ||ε - ε_θ||², plus a constant that does not depend on ε_θ.
     */
    @Test
    void klTermIsWeightedEpsilonErrorPlusConstant() {
        for (VarianceType vt : VarianceType.values()) {
            GaussianDiffusion d = new GaussianDiffusion(LINEAR, PredictionType.EPSILON, vt, LossType.WEIGHTED);
            try (NDManager m = Tensors.manager(33)) {
                int[] ts = {2, 10, 100, 999};
                Shape shape = new Shape(ts.length, 1, 8, 8);
                long dims = 64;
                NDArray t = m.create(java.util.Arrays.stream(ts).asLongStream().toArray());
                NDArray x0 = m.randomUniform(-1, 1, shape);
                NDArray eps = m.randomNormal(shape);
                NDArray xt = d.qSample(x0, t, eps);
                Gaussian q = d.qPosteriorMeanVariance(x0, xt, t); // (19)
                double[][] residual = new double[3][];
                for (int k = 0; k < 3; k++) {
                    NDArray epsTheta = eps.add(Ops.mul(m.randomNormal(shape), 0.3 * k)); // a worse and worse model
                    NDArray muTheta = d.pMeanFromEps(xt, t, epsTheta); // (23)
                    NDArray logVar = d.modelVariance(t, xt).log();
                    double[] kl = doubles(GaussianMath.normalKl(q.mean(), q.logVariance(), muTheta, logVar).sum(new int[] {1, 2, 3}));
                    double[] sq = doubles(eps.sub(epsTheta).square().sum(new int[] {1, 2, 3}));
                    double[] weighted = doubles(d.lossWeighted(eps, epsTheta, t)); // (24), per dimension
                    residual[k] = new double[ts.length];
                    for (int i = 0; i < ts.length; i++) {
                        double sigma2 = vt.variance(LINEAR, ts[i]);
                        double w = LINEAR.beta(ts[i]) * LINEAR.beta(ts[i])
                                / (2 * sigma2 * LINEAR.alpha(ts[i]) * LINEAR.oneMinusAlphaBar(ts[i]));
                        residual[k][i] = kl[i] - w * sq[i];
                        assertThat(weighted[i] * dims).isCloseTo(w * sq[i], within(1e-4 * (1 + w * sq[i])));
                        double constant = dims * (0.5 * Math.log(sigma2 / LINEAR.posteriorVariance(ts[i]))
                                + LINEAR.posteriorVariance(ts[i]) / (2 * sigma2) - 0.5);
                        assertThat(residual[k][i]).as("%s t=%d k=%d", vt, ts[i], k)
                                .isCloseTo(constant, within(2e-3 * (1 + kl[i])));
                    }
                }
            }
        }
    }

    @Test
    void decoderProbabilitiesOverTheBinsSumToOne() {
        try (NDManager m = Tensors.manager(4)) {
            int pairs = 200;
            NDArray levels = m.arange(256f).div(m.full(new Shape(), 127.5f)).sub(m.full(new Shape(), 1f)).reshape(1, 256);
            NDArray x = levels.repeat(0, pairs);
            NDArray mean = m.randomUniform(-1.3f, 1.3f, new Shape(pairs, 1));
            NDArray logScale = m.randomUniform(-7f, 0.5f, new Shape(pairs, 1));
            NDArray ll = GaussianMath.discretizedGaussianLogLikelihood(x, mean, logScale);
            double[] sums = doubles(ll.exp().sum(new int[] {1}));
            for (double s : sums) {
                assertThat(s).isCloseTo(1.0, within(1e-4));
            }
            // and each bin's mass against a double-precision CDF
            double[] lld = doubles(ll);
            double[] mu = doubles(mean);
            double[] ls = doubles(logScale);
            for (int p = 0; p < pairs; p += 17) {
                for (int k = 0; k < 256; k += 5) {
                    double xk = k / 127.5 - 1;
                    double sd = Math.exp(ls[p]);
                    double lo = k == 0 ? 0 : phi((xk - 1 / 255.0 - mu[p]) / sd);
                    double hi = k == 255 ? 1 : phi((xk + 1 / 255.0 - mu[p]) / sd);
                    double want = Math.log(Math.max(hi - lo, 1e-12));
                    if (hi - lo > 1e-6) {
                        assertThat(lld[p * 256 + k]).isCloseTo(want, within(2e-3 + 1e-3 * Math.abs(want)));
                    }
                }
            }
        }
    }

    private static double phi(double z) { // Φ by numerical integration-free erfc: Abramowitz-Stegun 7.1.26 is too coarse; use series
        return 0.5 * erfc(-z / Math.sqrt(2));
    }

    private static double erfc(double x) { // W. J. Cody-quality is overkill here: continued fraction / series to 1e-14
        if (x < 0) {
            return 2 - erfc(-x);
        }
        if (x < 3) {
            double sum = x;
            double term = x;
            for (int n = 1; n < 200; n++) {
                term *= -x * x / n;
                sum += term / (2 * n + 1);
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = 0; // Lentz-free continued fraction evaluated backwards
        for (int n = 60; n >= 1; n--) {
            f = n / 2.0 / (x + f);
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
    }

    @Test
    void priorTermIsNegligibleForTheLinearSchedule() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(LINEAR);
        try (NDManager m = Tensors.manager(2)) {
            NDArray x0 = m.randomUniform(-1, 1, new Shape(8, 3, 4, 4)).concat(m.ones(new Shape(1, 3, 4, 4)), 0)
                    .concat(m.ones(new Shape(1, 3, 4, 4)).neg(), 0);
            double[] bpd = doubles(d.priorBpd(x0));
            for (double b : bpd) {
                assertThat(b).isBetween(0.0, 1e-4);
            }
            // the exact value for x0 = 1: KL(N(√ᾱ_T, 1-ᾱ_T) || N(0,1)) / ln 2
            double ab = LINEAR.alphaBar(1000);
            double want = 0.5 * (-Math.log(1 - ab) + (1 - ab) + ab - 1) / Math.log(2);
            assertThat(bpd[8]).isCloseTo(want, within(1e-7));
        }
    }

    @Test
    void vbTermIsTheDecoderAtTheFirstStepAndTheKlElsewhere() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(LINEAR);
        try (NDManager m = Tensors.manager(8)) {
            Shape shape = new Shape(3, 1, 4, 4);
            NDArray x0 = m.randomInteger(0, 256, shape, ai.djl.ndarray.types.DataType.INT32)
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).div(m.full(new Shape(), 127.5f)).sub(m.full(new Shape(), 1f));
            NDArray eps = m.randomNormal(shape);
            NDArray t = m.create(new long[] {1, 2, 600});
            NDArray xt = d.qSample(x0, t, eps);
            NDArray out = eps.add(Ops.mul(m.randomNormal(shape), 0.1));
            double[] vb = doubles(d.vbTermBpd(out, x0, xt, t));
            ModelPrediction p = d.pMeanVariance(out, xt, t, false);
            double[] nll = doubles(GaussianMath.meanFlat(d.decoderNll(x0, p)));
            Gaussian q = d.qPosteriorMeanVariance(x0, xt, t);
            double[] kl = doubles(GaussianMath.meanFlat(GaussianMath.normalKl(q.mean(), q.logVariance(), p.mean(), p.logVariance())));
            assertThat(vb[0]).isCloseTo(nll[0] / Math.log(2), within(1e-5));
            assertThat(vb[1]).isCloseTo(kl[1] / Math.log(2), within(1e-6));
            assertThat(vb[2]).isCloseTo(kl[2] / Math.log(2), within(1e-6));
            for (double v : vb) {
                assertThat(v).isFinite().isGreaterThanOrEqualTo(0);
            }
        }
    }

    @Test
    void trainingLossTargetsFollowThePredictionType() {
        try (NDManager m = Tensors.manager(12)) {
            Shape shape = new Shape(2, 1, 3, 3);
            NDArray x0 = m.randomUniform(-1, 1, shape);
            NDArray eps = m.randomNormal(shape);
            NDArray t = m.create(new long[] {5, 700});
            for (PredictionType pt : PredictionType.values()) {
                GaussianDiffusion d = new GaussianDiffusion(LINEAR, pt, VarianceType.FIXED_LARGE, LossType.SIMPLE);
                NDArray xt = d.qSample(x0, t, eps);
                NDArray perfect = switch (pt) {
                    case EPSILON -> eps;
                    case SAMPLE -> x0;
                    case V -> d.vTarget(x0, t, eps);
                };
                assertThat(doubles(d.trainingLoss(perfect, x0, xt, t, eps))).containsExactly(0, 0);
                double[] off = doubles(d.trainingLoss(Ops.add(perfect, 0.5), x0, xt, t, eps));
                assertThat(off[0]).isCloseTo(0.25, within(1e-6));
                assertThat(off[1]).isCloseTo(0.25, within(1e-6));
            }
            GaussianDiffusion w = new GaussianDiffusion(LINEAR, PredictionType.EPSILON, VarianceType.FIXED_SMALL, LossType.WEIGHTED);
            double[] loss = doubles(w.trainingLoss(Ops.add(eps, 0.5), x0, w.qSample(x0, t, eps), t, eps));
            assertThat(loss[1]).isCloseTo(0.25 * LINEAR.lossWeight(700), within(1e-6));
        }
    }

    @Test
    void minSnrLossIsTheX0ErrorWeightedByTheClippedSnrForEveryPrediction() {
        // independent of the weight formulas: compute x̂_0 from the output and weigh its squared error by min(SNR, γ)
        try (NDManager m = Tensors.manager(13)) {
            Shape shape = new Shape(4, 1, 3, 3);
            NDArray x0 = m.randomUniform(-1, 1, shape);
            NDArray eps = m.randomNormal(shape);
            long[] ts = {1, 40, 300, 990}; // SNR from ~1e4 (clipped to γ) down to ~4e-5
            NDArray t = m.create(ts);
            for (double gamma : new double[] {5, 1}) {
                for (PredictionType pt : PredictionType.values()) {
                    GaussianDiffusion d = new GaussianDiffusion(LINEAR, pt, VarianceType.FIXED_LARGE, LossType.MIN_SNR, gamma);
                    NDArray xt = d.qSample(x0, t, eps);
                    NDArray output = m.randomNormal(shape);
                    double[] loss = doubles(d.trainingLoss(output, x0, xt, t, eps));
                    double[] x0Err = doubles(GaussianMath.meanFlat(x0.sub(d.predictX0(output, xt, t)).square()));
                    for (int i = 0; i < ts.length; i++) {
                        double want = Math.min(LINEAR.snr((int) ts[i]), gamma) * x0Err[i];
                        assertThat(loss[i]).as("%s gamma %s t %d", pt, gamma, ts[i]).isCloseTo(want, within(2e-4 * Math.abs(want) + 1e-7));
                    }
                }
            }
        }
    }
}

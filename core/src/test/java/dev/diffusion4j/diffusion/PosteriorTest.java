package dev.diffusion4j.diffusion;

import static dev.diffusion4j.testing.Tensors.doubles;
import static dev.diffusion4j.testing.Tensors.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import org.junit.jupiter.api.Test;

/** The posterior (8)-(11), its ε form (12)(13), and the reparameterisations. */
class PosteriorTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);

    private static double logNormal(double x, double mean, double var) {
        return -0.5 * Math.log(2 * Math.PI * var) - (x - mean) * (x - mean) / (2 * var);
    }

    @Test
    void posteriorIsTheNormalisedProductOfBayesRule() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(LINEAR);
        double[][] cases = {{2, 0.7, 0.5}, {10, -0.9, 0.1}, {100, 0.3, -1.2}, {500, 1.0, 0.4}, {1000, -0.2, 2.0}};
        try (NDManager m = Tensors.manager(1)) {
            for (double[] c : cases) {
                int t = (int) c[0];
                double x0 = c[1];
                double xt = c[2];
                Gaussian post = d.qPosteriorMeanVariance(
                        m.create(new float[] {(float) x0}), m.create(new float[] {(float) xt}), Tensors.timesteps(m, 1, t));
                double mu = doubles(post.mean())[0];
                double var = doubles(post.variance())[0];
                // (8): q(x_{t-1}|x_t,x_0) = q(x_t|x_{t-1}) q(x_{t-1}|x_0) / q(x_t|x_0), with (9), (10) and (4)
                double a = LINEAR.alpha(t);
                double abPrev = LINEAR.alphaBarPrev(t);
                double ab = LINEAR.alphaBar(t);
                double sd = Math.sqrt(LINEAR.posteriorVariance(t));
                double lo = mu - 10 * sd;
                double hi = mu + 10 * sd;
                int n = 20_001;
                double h = (hi - lo) / (n - 1);
                double integral = 0;
                double first = 0;
                double second = 0;
                double worstLog = 0;
                for (int i = 0; i < n; i++) {
                    double x = lo + i * h;
                    double logBayes = logNormal(xt, Math.sqrt(a) * x, 1 - a)
                            + logNormal(x, Math.sqrt(abPrev) * x0, 1 - abPrev)
                            - logNormal(xt, Math.sqrt(ab) * x0, 1 - ab);
                    double p = Math.exp(logBayes);
                    double w = (i == 0 || i == n - 1) ? 0.5 : 1;
                    integral += w * p * h;
                    first += w * p * x * h;
                    second += w * p * x * x * h;
                    if (Math.abs(x - mu) < 5 * sd) {
                        worstLog = Math.max(worstLog, Math.abs(logBayes - logNormal(x, mu, var)));
                    }
                }
                assertThat(integral).as("t=%d integral", t).isCloseTo(1, within(1e-9));
                assertThat(first).as("t=%d mean", t).isCloseTo(mu, within(1e-6 * (1 + Math.abs(mu))));
                assertThat(second - first * first).as("t=%d var", t).isCloseTo(var, within(1e-6 * var));
                assertThat(worstLog).as("t=%d log density", t).isLessThan(1e-3);
            }
        }
    }

    @Test
    void epsilonFormOfTheMeanEqualsThePosteriorMeanAtTheImpliedX0() {
        for (BetaSchedule b : new BetaSchedule[] {BetaSchedule.LINEAR, BetaSchedule.COSINE}) {
            GaussianDiffusion d = GaussianDiffusion.paperDefaults(NoiseSchedule.of(b, 1000));
            try (NDManager m = Tensors.manager(5)) {
                Shape shape = new Shape(6, 3, 8, 8);
                NDArray xt = m.randomNormal(shape);
                NDArray eps = m.randomNormal(shape);
                NDArray t = m.create(new long[] {1, 2, 50, 400, 900, 1000});
                NDArray via12 = d.qPosteriorMeanVariance(d.predictX0FromEps(xt, t, eps), xt, t).mean(); // (12) into (11)
                NDArray eq13 = d.pMeanFromEps(xt, t, eps); // (13)
                NDArray viaP = d.pMeanVariance(eps, xt, t, false).mean(); // (5)(20) for ε-prediction
                for (int i = 0; i < 6; i++) {
                    double[] c = doubles(eq13.get(i));
                    double scale = 0;
                    for (double v : c) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                    double rel12 = maxAbsDiff(doubles(via12.get(i)), c) / scale;
                    double relP = maxAbsDiff(doubles(viaP.get(i)), c) / scale;
                    assertThat(rel12).as("%s t=%d (12)+(11) vs (13)", b.name(), t.getLong(i)).isLessThan(TOL[i]);
                    assertThat(relP).as("%s t=%d p_mean_variance vs (13)", b.name(), t.getLong(i)).isLessThan(TOL[i]);
                }
            }
        }
    }

    /**
     * Float32 tolerance per item: the route through (12) multiplies x_t by 1/√ᾱ_t and back, which
     * at t = 1000 of the cosine schedule (ᾱ ≈ 1e-9) costs about four decimal digits.
     */
    private static final double[] TOL = {1e-6, 1e-6, 1e-6, 1e-6, 1e-5, 1e-3};

    @Test
    void x0FromEpsAtTheLastStepOfTheCosineScheduleRoundsOnceAgainstAFloat64Reference() {
        NoiseSchedule cosine = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(cosine);
        int tLast = 1000;
        double abar = cosine.alphaBar(tLast);
        assertThat(abar).as("ᾱ_T of the cosine schedule").isBetween(1e-9, 1e-8);
        try (NDManager m = Tensors.manager(11)) {
            Shape shape = new Shape(4, 1, 8, 8);
            NDArray x0 = m.randomUniform(-1, 1, shape);
            NDArray eps = m.randomNormal(shape);
            NDArray t = m.full(new Shape(4), tLast, ai.djl.ndarray.types.DataType.INT64);
            NDArray xt = d.qSample(x0, t, eps);
            float[] xs = xt.toFloatArray();
            float[] es = eps.toFloatArray();
            float[] got = d.predictX0FromEps(xt, t, eps).toFloatArray();
            double errGot = 0;
            double errTwoCoefficients = 0;
            double errQuotient = 0;
            float c1 = (float) cosine.sqrtRecipAlphaBar(tLast);
            float c2 = (float) cosine.sqrtRecipM1AlphaBar(tLast);
            float s = (float) cosine.sqrtOneMinusAlphaBar(tLast);
            for (int i = 0; i < xs.length; i++) {
                double ref = (xs[i] - Math.sqrt(1 - abar) * es[i]) / Math.sqrt(abar); // (12) in float64 on the same inputs
                errGot = Math.max(errGot, Math.abs(got[i] - ref));
                errTwoCoefficients = Math.max(errTwoCoefficients, Math.abs((c1 * xs[i] - c2 * es[i]) - ref));
                errQuotient = Math.max(errQuotient, Math.abs((xs[i] - s * es[i]) * c1 - ref));
            }
            System.out.printf("x0 from eps at t = T: two coefficients %.3g, quotient %.3g, double %.3g%n", errTwoCoefficients, errQuotient, errGot);
            // the float32 forms this replaces: each coefficient near 2·10⁴ rounded apart, or the cancelling numerator scaled up
            assertThat(errTwoCoefficients).as("float32 √(1/ᾱ) x_t - √(1/ᾱ - 1) ε").isGreaterThan(1e-3);
            assertThat(errQuotient).as("float32 (x_t - √(1-ᾱ) ε) / √ᾱ").isGreaterThan(1e-5);
            assertThat(errGot).as("double precision, rounded once (float32 ulp of |x_0| ≤ 1 is 6e-8)").isLessThan(1.2e-7);
        }
    }

    @Test
    void reparameterisationsInvertEachOther() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(LINEAR);
        try (NDManager m = Tensors.manager(9)) {
            Shape shape = new Shape(4, 2, 6, 6);
            NDArray x0 = m.randomUniform(-1, 1, shape);
            NDArray eps = m.randomNormal(shape);
            NDArray t = m.create(new long[] {1, 30, 300, 1000});
            NDArray xt = d.qSample(x0, t, eps);
            assertThat(maxAbsDiff(doubles(d.predictX0FromEps(xt, t, eps)), doubles(x0))).isLessThan(2e-3);
            // at t = 1, ε is recovered by dividing by √(1/ᾱ_1 - 1) ≈ 0.01: skip it
            assertThat(maxAbsDiff(doubles(d.predictEpsFromX0(xt.get("1:"), t.get("1:"), x0.get("1:"))), doubles(eps.get("1:"))))
                    .isLessThan(1e-3);
            NDArray v = d.vTarget(x0, t, eps);
            assertThat(maxAbsDiff(doubles(d.predictX0FromV(xt, t, v)), doubles(x0))).isLessThan(1e-5);
            assertThat(maxAbsDiff(doubles(d.predictEpsFromV(xt, t, v)), doubles(eps))).isLessThan(1e-5);
            // every prediction type leads to the same reverse mean when it is the exact one
            ModelPrediction fromEps = new GaussianDiffusion(LINEAR, PredictionType.EPSILON, VarianceType.FIXED_SMALL, LossType.SIMPLE)
                    .pMeanVariance(eps, xt, t, false);
            ModelPrediction fromV = new GaussianDiffusion(LINEAR, PredictionType.V, VarianceType.FIXED_SMALL, LossType.SIMPLE)
                    .pMeanVariance(v, xt, t, false);
            ModelPrediction fromX0 = new GaussianDiffusion(LINEAR, PredictionType.SAMPLE, VarianceType.FIXED_SMALL, LossType.SIMPLE)
                    .pMeanVariance(x0, xt, t, false);
            assertThat(maxAbsDiff(doubles(fromV.mean()), doubles(fromEps.mean()))).isLessThan(1e-4);
            assertThat(maxAbsDiff(doubles(fromX0.mean()), doubles(fromEps.mean()))).isLessThan(1e-4);
        }
    }

    @Test
    void varianceTypesFollowTheSchedule() {
        try (NDManager m = Tensors.manager(1)) {
            NDArray t = m.create(new long[] {1, 2, 700});
            NDArray like = m.zeros(new Shape(3, 1, 2, 2));
            GaussianDiffusion large = new GaussianDiffusion(LINEAR, PredictionType.EPSILON, VarianceType.FIXED_LARGE, LossType.SIMPLE);
            GaussianDiffusion small = new GaussianDiffusion(LINEAR, PredictionType.EPSILON, VarianceType.FIXED_SMALL, LossType.SIMPLE);
            assertThat(doubles(large.modelVariance(t, like))).containsExactly(
                    (float) LINEAR.posteriorVariance(2), (float) LINEAR.beta(2), (float) LINEAR.beta(700));
            assertThat(doubles(small.modelVariance(t, like))).containsExactly(
                    (float) LINEAR.posteriorVariance(2), (float) LINEAR.posteriorVariance(2), (float) LINEAR.posteriorVariance(700));
            assertThat(large.modelVariance(t, like).getShape()).isEqualTo(new Shape(3, 1, 1, 1));
        }
    }
}

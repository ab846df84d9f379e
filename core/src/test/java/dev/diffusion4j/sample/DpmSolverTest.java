package dev.diffusion4j.sample;

import static dev.diffusion4j.testing.Tensors.doubles;
import static dev.diffusion4j.testing.Tensors.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.LossType;
import dev.diffusion4j.diffusion.PredictionType;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import org.junit.jupiter.api.Test;

/**
 * DPM-Solver++(2M) against independent computations: DDIM (η = 0) for its first-order form, the exact
 * probability-flow ODE solution of one-dimensional Gaussian data (where the optimal ε is known in
 * closed form) for its convergence, and that data's mean and variance for few-step sampling; its SDE
 * form against DDIM with η = 1 and the same data's mean and variance.
 */
class DpmSolverTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
    /** The data distribution N(MU, S²), inside [-1, 1] by more than 4 standard deviations. */
    private static final double MU = 0.2;
    private static final double S = 0.15;

    /** The optimal ε-prediction for x_0 ~ N(MU, S²): E[ε | x_t] = σ (x_t - α MU) / (α² S² + σ²). */
    private static Denoiser gaussianEps(NoiseSchedule s) {
        return (x, t, y) -> {
            int ti = (int) t.toLongArray()[0];
            double a = s.sqrtAlphaBar(ti);
            double var = s.oneMinusAlphaBar(ti);
            return Ops.mul(Ops.sub(x, a * MU), Math.sqrt(var) / (a * a * S * S + var));
        };
    }

    /** The standard deviation of x_t for x_0 ~ N(MU, S²): √(ᾱ_t S² + 1 - ᾱ_t). */
    private static double sd(NoiseSchedule s, int t) {
        return Math.sqrt(s.alphaBar(t) * S * S + s.oneMinusAlphaBar(t));
    }

    /**
     * Where every sampler of a discrete-time model is headed: the probability-flow ODE from T to t = 1,
     * which for Gaussian data is the linear map x_1 = α_1 MU + (sd_1 / sd_T)(x_T - α_T MU) between the
     * marginals, then the final denoising x_0 = E[x_0 | x_1] = MU + α_1 S² (x_1 - α_1 MU) / sd_1².
     */
    private static double[] exactSolution(double[] xT, NoiseSchedule s) {
        int n = s.steps();
        double aT = s.sqrtAlphaBar(n);
        double a1 = s.sqrtAlphaBar(1);
        double[] out = new double[xT.length];
        for (int i = 0; i < xT.length; i++) {
            double x1 = a1 * MU + sd(s, 1) / sd(s, n) * (xT[i] - aT * MU);
            out[i] = MU + a1 * S * S * (x1 - a1 * MU) / (sd(s, 1) * sd(s, 1));
        }
        return out;
    }

    private static double[] run(Sampler sampler, Denoiser model, Shape shape, NDManager m) {
        return doubles(SamplingLoop.sample(model, sampler, shape, Randomness.of(11), 0, null, m, null, null, CancelToken.NONE));
    }

    /**
     * First-order DPM-Solver++ for {@code equation} against DDIM with {@code eta} on the same uniform grid, for every
     * prediction type: step by step (the same noise passed to both) and through the loop, which draws the same noise
     * for both where they use it.
     */
    private static void assertFirstOrderIsDdim(DpmSolverPlusPlus.Equation equation, double eta) {
        for (PredictionType p : PredictionType.values()) {
            GaussianDiffusion d = new GaussianDiffusion(LINEAR, p, VarianceType.FIXED_LARGE, LossType.SIMPLE);
            DpmSolverPlusPlus dpm = new DpmSolverPlusPlus(d, 25, DpmSolverPlusPlus.Grid.UNIFORM_T, 1, equation);
            DdimSampler ddim = new DdimSampler(d, 25, eta);
            assertThat(dpm.timesteps()).containsExactly(ddim.timesteps());
            assertThat(dpm.stochastic()).isEqualTo(ddim.stochastic());
            try (NDManager m = Tensors.manager(3)) {
                Shape shape = new Shape(2, 1, 5, 5);
                for (int i : new int[] {0, 1, 12, 23, 24}) {
                    NDArray x = m.randomNormal(shape);
                    NDArray out = Ops.mul(m.randomNormal(shape), 0.7);
                    NDArray z = m.randomNormal(shape);
                    StepOutput a = dpm.step(out, i, x, z, Ops.mul(x, 0.1));
                    StepOutput b = ddim.step(out, i, x, z);
                    assertThat(maxAbsDiff(doubles(a.prevSample()), doubles(b.prevSample()))).as("%s step %d", p, i).isLessThan(2e-6);
                    assertThat(doubles(a.predX0())).containsExactly(doubles(b.predX0()));
                }
                Denoiser net = (x, t, y) -> Ops.mul(x, 0.3);
                assertThat(maxAbsDiff(run(dpm, net, shape, m), run(ddim, net, shape, m))).as("%s loop", p).isLessThan(1e-5);
            }
        }
    }

    @Test
    void firstOrderIsDdimWithEtaZeroOnTheSameGrid() {
        assertFirstOrderIsDdim(DpmSolverPlusPlus.Equation.PROBABILITY_FLOW_ODE, 0);
    }

    @Test
    void sdeFirstOrderIsDdimWithEtaOneOnTheSameGrid() {
        assertFirstOrderIsDdim(DpmSolverPlusPlus.Equation.REVERSE_SDE, 1);
    }

    @Test
    void convergesToTheProbabilityFlowOdeSolution() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(LINEAR);
        Denoiser eps = gaussianEps(LINEAR);
        Shape shape = new Shape(512, 1, 1, 1);
        try (NDManager m = Tensors.manager(1)) {
            double[] xT = doubles(Randomness.of(11).derive("x_T").normalPerItem(m, shape, 0));
            double[] exact = exactSolution(xT, LINEAR);
            double[] ddim1000 = run(new DdimSampler(d, 1000, 0), eps, shape, m);
            double ddimError = maxAbsDiff(ddim1000, exact);
            int[] steps = {10, 25, 100, 400};
            double[] errors = new double[steps.length];
            for (int k = 0; k < steps.length; k++) {
                errors[k] = maxAbsDiff(run(new DpmSolverPlusPlus(d, steps[k], DpmSolverPlusPlus.Grid.LOG_SNR, 2), eps, shape, m), exact);
            }
            System.out.printf("DPM-Solver++(2M), log-SNR grid, max |x_0 - exact solution| over 512 draws: 10 steps %.2e, 25 %.2e,"
                    + " 100 %.2e, 400 %.2e; DDIM(eta=0) with 1000 steps %.2e%n", errors[0], errors[1], errors[2], errors[3], ddimError);
            // second order in the step until the integer grid's own spacing limits it: no model evaluated at integer
            // timesteps can refine the intervals [1, 2] and [T - 1, T], which leaves 4.2e-4 in double precision
            // (between 10 and 25 steps the log-SNR grid's rounding to integer timesteps near t = 1 makes the worst draw's error
            // fall only from 6.6e-3 to 4.6e-3; by 100 steps it is 3.9e-4)
            assertThat(errors[1]).isLessThan(errors[0]);
            assertThat(errors[2]).isLessThan(errors[0] / 10);
            assertThat(errors[2]).isLessThan(6e-4);
            assertThat(errors[3]).isLessThan(6e-4);
            // DDIM with all 1000 steps is first order on the same grid: further from the solution than DPM-Solver++ at 100
            assertThat(errors[2]).isLessThan(ddimError / 5);
            double[] dpm400 = run(new DpmSolverPlusPlus(d, 400, DpmSolverPlusPlus.Grid.LOG_SNR, 2), eps, shape, m);
            // and the two agree to within DDIM's own error (measured: 4.7e-3 apart, DDIM-1000 4.3e-3 from the solution)
            assertThat(maxAbsDiff(dpm400, ddim1000)).isLessThan(6e-3);
            // second order beats first order at the same number of evaluations
            double first = maxAbsDiff(run(new DpmSolverPlusPlus(d, 25, DpmSolverPlusPlus.Grid.LOG_SNR, 1), eps, shape, m), exact);
            assertThat(errors[1]).isLessThan(first / 3);
        }
    }

    /** Mean and variance of a sample. */
    private static double[] moments(double[] x) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / (x.length - 1);
        }
        return new double[] {mean, var};
    }

    @Test
    void fewStepsOnTheLogSnrGridGiveTheDataMeanAndVariance() {
        for (BetaSchedule schedule : new BetaSchedule[] {BetaSchedule.LINEAR, BetaSchedule.COSINE}) {
            NoiseSchedule s = NoiseSchedule.of(schedule, 1000);
            GaussianDiffusion d = GaussianDiffusion.paperDefaults(s);
            int n = 100_000;
            try (NDManager m = Tensors.manager(2)) {
                for (int steps : new int[] {10, 15, 20, 50}) {
                    double[] mv = moments(run(new DpmSolverPlusPlus(d, steps, DpmSolverPlusPlus.Grid.LOG_SNR, 2), gaussianEps(s),
                            new Shape(n, 1, 1, 1), m));
                    double[] uniform = moments(run(new DpmSolverPlusPlus(d, steps, DpmSolverPlusPlus.Grid.UNIFORM_T, 2), gaussianEps(s),
                            new Shape(n, 1, 1, 1), m));
                    System.out.printf("%s, %d steps: mean %.4f variance %.5f (log-SNR grid), mean %.4f variance %.5f (uniform t); data %.4f %.5f%n",
                            schedule, steps, mv[0], mv[1], uniform[0], uniform[1], MU, S * S);
                    // sampling error alone: se(mean) = S/√n = 0.0005, se(variance) ≈ S²√(2/n) = 0.45% of S²; the solver's own
                    // error in the variance, from the same recursion in double precision: linear +2.1% (10 steps), +3.7% (15),
                    // +2.6% (20), 0.0% (50); cosine -7.1%, +5.1%, +5.0%, +0.9%
                    double tolerance = steps >= 50 ? 0.02 : 0.09;
                    assertThat(mv[0]).as("%s %d steps: mean", schedule, steps).isBetween(MU - 0.003, MU + 0.003);
                    assertThat(mv[1] / (S * S) - 1).as("%s %d steps: relative error of the variance", schedule, steps)
                            .isBetween(-tolerance, tolerance);
                }
            }
        }
    }

    /**
     * The reverse SDE has no pathwise solution to compare with, so the test is in distribution: samples of
     * N(MU, S²) with the optimal ε. Measured here (100,000 draws, variance's relative error, linear / cosine):
     * 2M on the log-SNR grid -5% / -20% at 10 steps, +6% / +1% at 15, +7% / +7% at 20, +0.3% / +2% at 50,
     * +0.8% / +0.1% at 200; its first-order form (DDIM with η = 1 in λ) -59% / -70% at 10 steps, -37% / -50% at
     * 20, -5% / -7% at 200. (On the grid uniform in t, 2M's error was +107% / +144% at 20 steps: its short
     * steps near T followed by a long last one make the multistep extrapolation amplify the noise in x̂_0.)
     */
    @Test
    void sdeFewStepsGiveTheDataMeanAndVarianceAndBeatFirstOrder() {
        for (BetaSchedule schedule : new BetaSchedule[] {BetaSchedule.LINEAR, BetaSchedule.COSINE}) {
            NoiseSchedule s = NoiseSchedule.of(schedule, 1000);
            GaussianDiffusion d = GaussianDiffusion.paperDefaults(s);
            Shape shape = new Shape(100_000, 1, 1, 1);
            try (NDManager m = Tensors.manager(5)) {
                for (int steps : new int[] {15, 20, 50, 200}) {
                    double[] second = moments(run(new DpmSolverPlusPlus(d, steps, DpmSolverPlusPlus.Grid.LOG_SNR, 2,
                            DpmSolverPlusPlus.Equation.REVERSE_SDE), gaussianEps(s), shape, m));
                    double[] first = moments(run(new DpmSolverPlusPlus(d, steps, DpmSolverPlusPlus.Grid.LOG_SNR, 1,
                            DpmSolverPlusPlus.Equation.REVERSE_SDE), gaussianEps(s), shape, m));
                    double error = second[1] / (S * S) - 1;
                    double firstError = first[1] / (S * S) - 1;
                    System.out.printf("SDE-DPM-Solver++ %s, %d steps: mean %.4f, variance %+.4f relative (2M), %+.4f (first order)%n",
                            schedule, steps, second[0], error, firstError);
                    // sampling error alone: se(mean) = 0.0005, se(variance) 0.45%
                    assertThat(second[0]).as("%s %d steps: mean", schedule, steps).isBetween(MU - 0.003, MU + 0.003);
                    double tolerance = steps >= 50 ? 0.03 : 0.10;
                    assertThat(error).as("%s %d steps: relative error of the variance", schedule, steps).isBetween(-tolerance, tolerance);
                    assertThat(Math.abs(error)).as("%s %d steps: second order beats first", schedule, steps)
                            .isLessThan(Math.abs(firstError) / 3);
                }
            }
        }
    }

    @Test
    void logSnrGridIsDescendingDistinctAndEvenInLambda() {
        int[] g = DpmSolverPlusPlus.logSnrGrid(LINEAR, 20);
        assertThat(g[0]).isEqualTo(1000);
        assertThat(g[19]).isEqualTo(1);
        for (int i = 1; i < g.length; i++) {
            assertThat(g[i]).isLessThan(g[i - 1]);
        }
        double step = (DpmSolverPlusPlus.lambda(LINEAR, 1) - DpmSolverPlusPlus.lambda(LINEAR, 1000)) / 19;
        for (int i = 1; i < g.length - 1; i++) {
            double gap = DpmSolverPlusPlus.lambda(LINEAR, g[i]) - DpmSolverPlusPlus.lambda(LINEAR, g[i - 1]);
            assertThat(gap).as("gap %d", i).isBetween(0.5 * step, 1.5 * step);
        }
        assertThat(DpmSolverPlusPlus.logSnrGrid(NoiseSchedule.of(BetaSchedule.LINEAR, 10), 10)).containsExactly(10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(LINEAR);
        assertThatThrownBy(() -> new DpmSolverPlusPlus(d, 0, DpmSolverPlusPlus.Grid.LOG_SNR, 2)).hasMessageContaining("1..1000");
        assertThatThrownBy(() -> new DpmSolverPlusPlus(d, 10, DpmSolverPlusPlus.Grid.LOG_SNR, 3)).hasMessageContaining("order");
    }
}

package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.LossType;
import dev.diffusion4j.diffusion.PredictionType;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Progressive distillation's objective against what it must equal: the teacher's two DDIM steps computed by the
 * sampler, the exact teacher of a point mass (where one step and two agree), and the exact two-step map of Gaussian
 * data, which one round of training must reach.
 */
class DistillationTest {
    private static final NoiseSchedule COSINE = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
    private static final GaussianDiffusion EPS = GaussianDiffusion.paperDefaults(COSINE);
    private static final Shape SHAPE = new Shape(6, 1, 2, 3);

    /** A smooth nonlinear stand-in for a network: nothing about it makes one step equal two. */
    private static Denoiser wavy(NDManager m) {
        return (x, t, y) -> {
            float[] scale = new float[(int) t.size()];
            long[] ts = t.toLongArray();
            for (int i = 0; i < ts.length; i++) {
                scale[i] = (float) (0.5 + ts[i] / 1000.0);
            }
            NDArray s = x.getManager().create(scale, new Shape(ts.length, 1, 1, 1));
            return x.mul(s).tanh().add(Ops.mul(x, 0.3));
        };
    }

    /** The exact ε of data that is the constant c, per item: (x_t - √ᾱ_t c) / √(1 - ᾱ_t). */
    private static Denoiser pointMass(double c) {
        return (x, t, y) -> {
            long[] ts = t.toLongArray();
            float[] a = new float[ts.length];
            float[] inv = new float[ts.length];
            for (int i = 0; i < ts.length; i++) {
                a[i] = (float) (COSINE.sqrtAlphaBar((int) ts[i]) * c);
                inv[i] = (float) (1 / COSINE.sqrtOneMinusAlphaBar((int) ts[i]));
            }
            Shape per = new Shape(ts.length, 1, 1, 1);
            return x.sub(x.getManager().create(a, per)).mul(x.getManager().create(inv, per));
        };
    }

    private static NDArray noised(GaussianDiffusion d, NDManager m, NDArray t, long seed) {
        NDArray x0 = m.randomUniform(-0.8f, 0.8f, SHAPE);
        return d.qSample(x0, t, m.randomNormal(SHAPE));
    }

    @Test
    void theTargetIsWhereTwoDdimStepsOfTheTeacherLandAsTheX0OfOneStep() {
        try (NDManager m = Tensors.manager(3)) {
            Distillation round = new Distillation(EPS, wavy(m), 4);
            assertThat(round.studentTimesteps()).containsExactly(250, 500, 750, 1000);
            assertThat(round.teacherTimesteps()).containsExactly(125, 250, 375, 500, 625, 750, 875, 1000);
            NDArray t = m.create(new long[] {1000, 750, 500, 250, 250, 1000});
            NDArray xt = noised(EPS, m, t, 1);
            double[] got = Tensors.doubles(round.target(null, xt, t, null));
            double[] xs = Tensors.doubles(xt);
            int per = (int) (SHAPE.size() / SHAPE.get(0));
            int[][] teacher = {{1000, 875, 750}, {750, 625, 500}, {500, 375, 250}, {250, 125, 0}, {250, 125, 0}, {1000, 875, 750}};
            for (int i = 0; i < 6; i++) {
                // the sampler's own DDIM on the teacher's grid, one item at a time: t → t' → t''
                int[] grid = teacher[i][2] == 0 ? new int[] {teacher[i][0], teacher[i][1]} : teacher[i];
                DdimSampler ddim = DdimSampler.onTimesteps(EPS, grid, 0);
                NDArray x = xt.get(new NDIndex("{}:{}", i, i + 1));
                for (int k = 0; k < 2; k++) {
                    NDArray tk = Tensors.timesteps(m, 1, grid[k]);
                    x = ddim.step(wavy(m).apply(x, tk, null), k, x, null).prevSample();
                }
                double[] landed = Tensors.doubles(x);
                double at = COSINE.sqrtAlphaBar(teacher[i][0]);
                double st = COSINE.sqrtOneMinusAlphaBar(teacher[i][0]);
                double as = COSINE.sqrtAlphaBar(teacher[i][2]);
                double ss = COSINE.sqrtOneMinusAlphaBar(teacher[i][2]);
                for (int j = 0; j < per; j++) {
                    // one DDIM step from x_t with x̂ lands on as·x̂ + ss·(x_t - at·x̂)/st; solve for x̂
                    double expected = (landed[j] - ss / st * xs[i * per + j]) / (as - ss / st * at);
                    assertThat(got[i * per + j]).as("item %d (t = %d), pixel %d", i, teacher[i][0], j).isCloseTo(expected, within(2e-5));
                }
            }
        }
    }

    @Test
    void aStudentThatIsItsExactPointMassTeacherAlreadyDoesTwoStepsInOne() {
        // for data that is one point c, DDIM with the exact ε is exact at any step size (x̂_0 = c throughout): the
        // target is c, the untrained student's loss is 0, and its one step lands where the teacher's two do
        double c = 0.35;
        try (NDManager m = Tensors.manager(4)) {
            Distillation round = new Distillation(EPS, pointMass(c), 4);
            NDArray t = m.create(new long[] {1000, 750, 500, 250, 500, 750});
            NDArray xt = EPS.qSample(m.full(SHAPE, (float) c), t, m.randomNormal(SHAPE));
            NDArray target = round.target(null, xt, t, null);
            // to float32's reach: near t = T, x̂_0 from ε carries an error of order 10⁻³ whatever the form (PosteriorTest)
            assertThat(Tensors.maxAbsDiff(Tensors.doubles(target), Tensors.doubles(m.full(SHAPE, (float) c)))).isLessThan(1e-3);
            NDArray loss = round.loss(pointMass(c).apply(xt, t, null), null, xt, t, null, target);
            assertThat(java.util.Arrays.stream(Tensors.doubles(loss)).max().orElseThrow()).isLessThan(1e-6);
        }
    }

    @Test
    void whereTheDataHasSpreadOneTeacherStepIsNotTwoAndTheUntrainedStudentHasALoss() {
        // the counterpart of the point mass: the same student-equals-teacher start on a nonlinear teacher is off target
        try (NDManager m = Tensors.manager(5)) {
            Denoiser teacher = wavy(m);
            Distillation round = new Distillation(EPS, teacher, 4);
            NDArray t = m.create(new long[] {1000, 750, 500, 250, 500, 750});
            NDArray xt = noised(EPS, m, t, 2);
            NDArray loss = round.loss(teacher.apply(xt, t, null), null, xt, t, null, round.target(null, xt, t, null));
            assertThat(java.util.Arrays.stream(Tensors.doubles(loss)).max().orElseThrow()).isGreaterThan(1e-3);
        }
    }

    @Test
    void oneRoundOnGaussianDataConvergesToTheExactTwoStepMap() {
        // data N(MU, S²) per pixel; the teacher is its exact ε. Two DDIM steps of it are affine in x_t, so the target
        // x̃ = A_j x_t + B_j is too, and a student x̂ = a_j x_t + b_j per grid point can learn it exactly.
        double mu = 0.1;
        double sd = 0.2;
        GaussianDiffusion x0Net = new GaussianDiffusion(COSINE, PredictionType.SAMPLE, VarianceType.FIXED_LARGE, LossType.SIMPLE);
        Denoiser exact = (x, t, y) -> {
            long[] ts = t.toLongArray();
            float[] gain = new float[ts.length];
            float[] shift = new float[ts.length];
            for (int i = 0; i < ts.length; i++) {
                double a = COSINE.sqrtAlphaBar((int) ts[i]);
                double v = COSINE.oneMinusAlphaBar((int) ts[i]);
                double g = sd * sd * a / (a * a * sd * sd + v); // posterior mean of x_0: mu + g (x_t - a mu)
                gain[i] = (float) g;
                shift[i] = (float) (mu - g * a * mu);
            }
            Shape per = new Shape(ts.length, 1, 1, 1);
            return x.mul(x.getManager().create(gain, per)).add(x.getManager().create(shift, per));
        };
        int steps = 2;
        Distillation round = new Distillation(x0Net, exact, steps);
        int[] grid = round.studentTimesteps();
        double[][] expected = new double[steps][];
        for (int j = 0; j < steps; j++) {
            expected[j] = exactStudent(grid[j], round.teacherTimesteps()[2 * j], j == 0 ? 0 : grid[j - 1], mu, sd);
        }
        try (NDManager m = Tensors.manager(6)) {
            NDArray a = m.ones(new Shape(steps));
            NDArray b = m.zeros(new Shape(steps));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            SplittableRandom r = new SplittableRandom(7);
            Shape shape = new Shape(2048, 1, 1, 2);
            for (int k = 0; k < 400; k++) {
                try (NDManager step = m.newSubManager()) {
                    long[] ts = new long[(int) shape.get(0)];
                    long[] js = new long[ts.length];
                    for (int i = 0; i < ts.length; i++) {
                        ts[i] = round.timestep(r);
                        js[i] = java.util.Arrays.binarySearch(grid, (int) ts[i]);
                    }
                    NDArray t = step.create(ts);
                    NDArray x0 = Ops.add(step.randomNormal(shape).mul(sd), mu);
                    NDArray xt = x0Net.qSample(x0, t, step.randomNormal(shape));
                    NDArray target = round.target(x0, xt, t, null);
                    NDArray j = step.create(js);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = xt.mul(a.get(j).reshape(ts.length, 1, 1, 1)).add(b.get(j).reshape(ts.length, 1, 1, 1));
                        gc.backward(round.loss(out, x0, xt, t, null, target).mean());
                    }
                    double lr = 0.5;
                    a.subi(Ops.mul(a.getGradient(), lr));
                    b.subi(Ops.mul(b.getGradient(), lr));
                    a.getGradient().subi(a.getGradient()); // libtorch adds each backward pass's gradient to the last
                    b.getGradient().subi(b.getGradient());
                }
            }
            double[] learnedA = Tensors.doubles(a);
            double[] learnedB = Tensors.doubles(b);
            for (int s = 0; s < steps; s++) {
                System.out.printf("distilling N(%.1f, %.1f²) data, student step at t = %d: learned x̂ = %.4f x_t + %.4f, exact %.4f x_t + %.4f%n",
                        mu, sd, grid[s], learnedA[s], learnedB[s], expected[s][0], expected[s][1]);
                assertThat(learnedA[s]).as("gain at t = %d", grid[s]).isCloseTo(expected[s][0], within(2e-3));
                assertThat(learnedB[s]).as("offset at t = %d", grid[s]).isCloseTo(expected[s][1], within(2e-3));
            }
        }
    }

    /**
     * The exact student (gain, offset) at t for the exact teacher of N(mu, sd²): compose the teacher's two affine DDIM
     * steps t → m → s in closed form and solve one step's x̂ for where they land.
     */
    private static double[] exactStudent(int t, int mid, int s, double mu, double sd) {
        double[] first = ddimAffine(t, mid, mu, sd);
        double[] second = ddimAffine(mid, s, mu, sd);
        double gain = second[0] * first[0];
        double offset = second[0] * first[1] + second[1];
        double ratio = COSINE.sqrtOneMinusAlphaBar(s) / COSINE.sqrtOneMinusAlphaBar(t);
        double denominator = COSINE.sqrtAlphaBar(s) - ratio * COSINE.sqrtAlphaBar(t);
        return new double[] {(gain - ratio) / denominator, offset / denominator};
    }

    /** One DDIM step of the exact teacher from t to s as x_s = g x_t + h. */
    private static double[] ddimAffine(int t, int s, double mu, double sd) {
        double a = COSINE.sqrtAlphaBar(t);
        double v = COSINE.oneMinusAlphaBar(t);
        double g = sd * sd * a / (a * a * sd * sd + v);
        double x0Gain = g;
        double x0Shift = mu - g * a * mu;
        double as = COSINE.sqrtAlphaBar(s);
        double ss = COSINE.sqrtOneMinusAlphaBar(s);
        double st = Math.sqrt(v);
        // x_s = as x̂ + ss (x_t - a x̂)/st
        return new double[] {as * x0Gain + ss / st * (1 - a * x0Gain), as * x0Shift - ss / st * a * x0Shift};
    }
}

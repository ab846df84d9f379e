package dev.diffusion4j.diffusion;

import static dev.diffusion4j.testing.Tensors.doubles;
import static dev.diffusion4j.testing.Tensors.timesteps;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import org.junit.jupiter.api.Test;

/** The forward process: (2) iterated t times has the distribution of the closed form (4). */
class ForwardProcessTest {
    private static final int N = 200_000;

    @Test
    void iteratedStepsMatchTheClosedFormWithinMonteCarloError() {
        for (BetaSchedule b : new BetaSchedule[] {BetaSchedule.LINEAR, BetaSchedule.COSINE}) {
            NoiseSchedule s = NoiseSchedule.of(b, 1000);
            GaussianDiffusion d = GaussianDiffusion.paperDefaults(s);
            try (NDManager m = Tensors.manager(11)) {
                // two starting values, N independent chains each: x has shape (2, N)
                double[] x0v = {0.8, -0.35};
                NDArray x0 = m.create(new float[] {0.8f, -0.35f}, new Shape(2, 1)).repeat(1, N);
                NDArray x = x0;
                int[] checkpoints = {1, 10, 100, 500, 999, 1000};
                int next = 0;
                for (int t = 1; t <= 1000; t++) {
                    try (NDManager step = m.newSubManager()) {
                        NDArray xt = d.qStep(x, timesteps(step, 2, t), step.randomNormal(x.getShape()));
                        xt.attach(m);
                        if (x != x0) {
                            x.close();
                        }
                        x = xt;
                    }
                    if (t == checkpoints[next]) {
                        next++;
                        for (int row = 0; row < 2; row++) {
                            double[] v = doubles(x.get(row));
                            double mean = 0;
                            for (double e : v) {
                                mean += e;
                            }
                            mean /= v.length;
                            double var = 0;
                            for (double e : v) {
                                var += (e - mean) * (e - mean);
                            }
                            var /= v.length - 1;
                            double wantMean = s.sqrtAlphaBar(t) * x0v[row];
                            double wantVar = s.oneMinusAlphaBar(t);
                            double seMean = Math.sqrt(wantVar / N);
                            double seVar = wantVar * Math.sqrt(2.0 / (N - 1));
                            assertThat(Math.abs(mean - wantMean)).as("%s t=%d mean", b.name(), t).isLessThan(5 * seMean + 1e-6);
                            assertThat(Math.abs(var - wantVar)).as("%s t=%d var", b.name(), t).isLessThan(5 * seVar + 1e-7);
                        }
                    }
                }
            }
        }
    }

    @Test
    void qSampleIsTheClosedFormAndItsMeanVariance() {
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(s);
        try (NDManager m = Tensors.manager(3)) {
            NDArray x0 = m.randomUniform(-1, 1, new Shape(4, 1, 5, 5));
            NDArray eps = m.randomNormal(new Shape(4, 1, 5, 5));
            NDArray t = m.create(new long[] {1, 250, 600, 1000});
            double[] xt = doubles(d.qSample(x0, t, eps));
            Gaussian q = d.qMeanVariance(x0, t);
            double[] mean = doubles(q.mean());
            double[] var = doubles(q.variance().broadcast(x0.getShape()));
            double[] e = doubles(eps);
            for (int i = 0; i < xt.length; i++) {
                assertThat(xt[i]).isCloseTo(mean[i] + Math.sqrt(var[i]) * e[i], org.assertj.core.api.Assertions.within(1e-5));
            }
            assertThat(doubles(q.variance())).containsExactly(
                    (float) s.oneMinusAlphaBar(1), (float) s.oneMinusAlphaBar(250), (float) s.oneMinusAlphaBar(600), (float) s.oneMinusAlphaBar(1000));
        }
    }
}

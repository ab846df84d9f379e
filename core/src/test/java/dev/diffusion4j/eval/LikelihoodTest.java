package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import dev.diffusion4j.train.TinyRuns;
import org.junit.jupiter.api.Test;

class LikelihoodTest {
    @Test
    void everyTermAddsUpAndTheStratifiedEstimateAgrees() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(NoiseSchedule.of(BetaSchedule.LINEAR, 40));
        ImageDataset data = TinyRuns.blobs(300);
        try (NDManager m = Tensors.manager(2)) {
            // a crude fixed "model": predicts ε as a shrunk x_t
            Likelihood.Result full = Likelihood.bpd((x, t, y) -> Ops.mul(x, 0.5), d, data, 300, 100, 0, Randomness.of(1), m, null);
            for (int i = 0; i < 300; i++) {
                double sum = full.prior()[i] + full.decoder()[i];
                for (double[] q : full.quartiles()) {
                    sum += q[i];
                }
                assertThat(full.total()[i]).isCloseTo(sum, within(1e-9));
                assertThat(full.total()[i]).isPositive();
            }
            double perT = 0;
            for (int t = 1; t <= 40; t++) {
                perT += full.perTimestep()[t];
            }
            double[] f = Likelihood.Result.meanAndSe(full.total());
            assertThat(perT + Likelihood.Result.meanAndSe(full.prior())[0]).isCloseTo(f[0], within(1e-6 * f[0]));
            Likelihood.Result strat = Likelihood.bpd((x, t, y) -> Ops.mul(x, 0.5), d, data, 300, 100, 8, Randomness.of(3), m, null);
            double[] s = Likelihood.Result.meanAndSe(strat.total());
            assertThat(strat.perTimestep()).isNull();
            assertThat(Math.abs(s[0] - f[0])).as("stratified %s vs full %s", s[0], f[0]).isLessThan(4 * Math.hypot(s[1], f[1]));
            // the decoder and prior terms are computed exactly in both: with the same seed, the same values image by image
            Likelihood.Result stratSameSeed = Likelihood.bpd((x, t, y) -> Ops.mul(x, 0.5), d, data, 300, 100, 8, Randomness.of(1), m, null);
            assertThat(stratSameSeed.prior()).containsExactly(full.prior());
            assertThat(stratSameSeed.decoder()).containsExactly(full.decoder());
            // and they are the terms themselves: L_T from the prior, L_0 from the decoder at t = 1 with the image's own noise
            ai.djl.ndarray.NDArray x0 = data.batch(m, new int[] {0, 1, 2}, null);
            assertThat(dev.diffusion4j.testing.Tensors.doubles(d.priorBpd(x0)))
                    .containsExactly(full.prior()[0], full.prior()[1], full.prior()[2]);
            ai.djl.ndarray.NDArray t1 = m.create(new long[] {1, 1, 1});
            ai.djl.ndarray.NDArray noise = Randomness.of(1).derive("noise").step(0).normalPerItem(m, x0.getShape(), 0);
            ai.djl.ndarray.NDArray x1 = d.qSample(x0, t1, noise);
            double[] l0 = dev.diffusion4j.testing.Tensors.doubles(d.vbTermBpd(Ops.mul(x1, 0.5), x0, x1, t1));
            for (int i = 0; i < 3; i++) {
                assertThat(full.decoder()[i]).isCloseTo(l0[i], within(1e-6));
                assertThat(full.decoder()[i]).isPositive();
            }
        }
    }
}

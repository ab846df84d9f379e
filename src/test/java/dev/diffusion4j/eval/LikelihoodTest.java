package dev.diffusion4j.eval;

import dev.diffusion4j.engine.Randomness;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Ops;
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
            // the decoder and prior terms are exact in both
            assertThat(Likelihood.Result.meanAndSe(strat.prior())[0]).isCloseTo(Likelihood.Result.meanAndSe(full.prior())[0], within(1e-9));
        }
    }
}

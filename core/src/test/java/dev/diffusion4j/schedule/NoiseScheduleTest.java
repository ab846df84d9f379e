package dev.diffusion4j.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoiseScheduleTest {
    @Test
    void linearKnownValuesFromDiffusersTests() {
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
        // diffusers' DDPMScheduler tests: _get_variance(487) ≈ 0.00979, _get_variance(999) ≈ 0.02 (t shifted by one)
        assertThat(s.posteriorVariance(488)).isCloseTo(0.00979, within(1e-5));
        assertThat(s.posteriorVariance(1000)).isCloseTo(0.02, within(1e-5));
        assertThat(s.posteriorVariance(1)).isZero();
        assertThat(s.beta(1)).isEqualTo(1e-4);
        assertThat(s.beta(1000)).isEqualTo(0.02);
        assertThat(s.alphaBar(0)).isEqualTo(1.0);
    }

    @Test
    void cosineIsClippedOnlyAtTheLastStep() {
        double[] b = BetaSchedule.COSINE.betas(1000);
        assertThat(b[999]).isEqualTo(0.999);
        for (int i = 0; i < 999; i++) {
            assertThat(b[i]).as("beta at t = %d", i + 1).isLessThan(0.999);
        }
        // ᾱ_t follows f(t)/f(0) wherever β is not clipped
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        for (int t : new int[] {1, 10, 500, 999}) {
            double ft = Math.pow(Math.cos((t / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            assertThat(s.alphaBar(t)).isCloseTo(ft / f0, within(1e-13));
        }
    }

    @Test
    void sigmoidIsIncreasingBetweenItsEnds() {
        double[] b = BetaSchedule.SIGMOID.betas(200);
        for (int i = 1; i < b.length; i++) {
            assertThat(b[i]).isGreaterThan(b[i - 1]);
        }
        assertThat(b[0]).isEqualTo(1e-4 + 0.0199 / (1 + Math.exp(6)), within(1e-18));
        assertThat(b[199]).isEqualTo(1e-4 + 0.0199 / (1 + Math.exp(-6)), within(1e-18));
    }

    @Test
    void singleStepScheduleIsDefined() {
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.LINEAR, 1);
        assertThat(s.beta(1)).isEqualTo(1e-4);
        assertThat(s.posteriorVarianceClipped(1)).isEqualTo(1e-4);
        assertThat(s.lossWeight(1)).isFinite();
    }

    @Test
    void clippedLogVarianceAndLossWeightAreFiniteEverywhere() {
        for (BetaSchedule b : new BetaSchedule[] {BetaSchedule.LINEAR, BetaSchedule.COSINE, BetaSchedule.SIGMOID}) {
            NoiseSchedule s = NoiseSchedule.of(b, 1000);
            for (int t = 1; t <= 1000; t++) {
                for (double v : s.row(t).values()) {
                    assertThat(v).as("%s t=%d", b.name(), t).isFinite();
                }
            }
            assertThat(s.posteriorLogVarianceClipped(1)).isEqualTo(Math.log(s.posteriorVariance(2)));
        }
    }

    @Test
    void invalidSchedulesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> NoiseSchedule.of(BetaSchedule.LINEAR, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> NoiseSchedule.ofBetas("x", new double[] {0.1, 1.0}))
                .hasMessageContaining("t = 2").hasMessageContaining("(0, 1)");
        assertThatThrownBy(() -> NoiseSchedule.ofBetas("x", new double[] {Double.NaN}))
                .hasMessageContaining("t = 1");
        assertThatThrownBy(() -> NoiseSchedule.ofBetas("x", new double[] {-0.1}))
                .hasMessageContaining("t = 1");
        assertThatThrownBy(() -> NoiseSchedule.of(new BetaSchedule.Linear(0.5, 1.5), 10))
                .hasMessageContaining("beta at t = 6 ");
        assertThatThrownBy(() -> BetaSchedule.parse("quadratic")).hasMessageContaining("unknown beta schedule 'quadratic'");
        assertThatThrownBy(() -> NoiseSchedule.of(BetaSchedule.LINEAR, 10).beta(11)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void betaFilesAreReadAndValidated(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("betas.txt");
        Files.writeString(good, "# my schedule\n0.001\n\n0.01\n0.1\n");
        BetaSchedule s = BetaSchedule.parse("file:" + good);
        assertThat(NoiseSchedule.of(s, 3).beta(2)).isEqualTo(0.01);
        assertThatThrownBy(() -> NoiseSchedule.of(s, 4)).hasMessageContaining("gives 3 beta values but 4");

        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "0.001\nzero\n");
        assertThatThrownBy(() -> BetaSchedule.parse("file:" + bad)).hasMessage(bad + ":2: not a number: 'zero'");
        Files.writeString(bad, "0.001\n1.5\n");
        assertThatThrownBy(() -> BetaSchedule.parse("file:" + bad)).hasMessage(bad + ":2: beta must be in (0, 1), got 1.5");
        Files.writeString(bad, "# nothing\n");
        assertThatThrownBy(() -> BetaSchedule.parse("file:" + bad)).hasMessage(bad + ": no beta values");
        assertThatThrownBy(() -> BetaSchedule.parse("file:" + dir.resolve("missing")))
                .hasMessageContaining("no such beta file");
    }
}

package dev.diffusion4j.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/**
 * The diffusion classifier on a known region, on a model whose answer is known: two classes of Gaussian data, every
 * pixel of class c drawn from N(MU[c], S²), denoised by each class's exact ε.
 */
class ClassInferenceTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
    private static final GaussianDiffusion D = GaussianDiffusion.paperDefaults(LINEAR);
    private static final double[] MU = {0.4, -0.3};
    private static final double S = 0.3;
    /** Top half of a 4x4 image known. */
    private static final Mask TOP = Mask.parse("bottom-half", 4, 4);

    /** For class c: the optimal ε of N(MU[c], S²), σ (x_t - α MU[c]) / (α² S² + σ²), pixel by pixel. */
    private static final Denoiser EXACT = (x, t, y) -> {
        int ti = (int) t.toLongArray()[0];
        double a = LINEAR.sqrtAlphaBar(ti);
        double var = LINEAR.oneMinusAlphaBar(ti);
        NDArray mu = y.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mul((float) (MU[1] - MU[0])).add((float) MU[0])
                .reshape(-1, 1, 1, 1);
        return x.sub(mu.mul((float) a)).mul((float) (Math.sqrt(var) / (a * a * S * S + var)));
    };

    /** The expected known-region error of class c for a known x_0, over ε, averaged over the trial grid: closed form. */
    private static double expectedError(double[] knownPixels, int c, int[] ts) {
        double sum = 0;
        for (int t : ts) {
            double a = LINEAR.sqrtAlphaBar(t);
            double var = LINEAR.oneMinusAlphaBar(t);
            double v = a * a * S * S + var;
            for (double x0 : knownPixels) {
                // ε - ε̂ = ε (1 - σ²/v) - σ a (x_0 - MU[c]) / v
                sum += Math.pow(1 - var / v, 2) + var * a * a * Math.pow(x0 - MU[c], 2) / (v * v);
            }
        }
        return sum / (ts.length * knownPixels.length);
    }

    @Test
    void theTrialGridIsEvenOverTheUpperThreeQuartersOfTheChain() {
        int[] ts = ClassInference.timesteps(1000, 50);
        assertThat(ts).hasSize(50);
        assertThat(ts[0]).isEqualTo(258); // 251 + ⌊0.5·750/50⌋
        assertThat(ts[49]).isEqualTo(993); // 251 + ⌊49.5·15⌋
        for (int i = 1; i < ts.length; i++) {
            assertThat(ts[i] - ts[i - 1]).isEqualTo(15);
        }
        assertThat(ClassInference.timesteps(1000, 1)).containsExactly(626);
        assertThat(ClassInference.timesteps(4, 3)).containsExactly(2, 3, 4);
        assertThatThrownBy(() -> ClassInference.timesteps(1000, 0)).hasMessageContaining("trials");
    }

    @Test
    void theErrorsAreTheClosedFormExpectationAndPickTheClassOfTheKnownRegion() {
        try (NDManager m = NDManager.newBaseManager()) {
            int b = 32;
            int trials = 400;
            // known pixels from class 1; the unknown ones class 0's mean, which must not pull the answer toward class 0
            NDArray keep = TOP.toArray(m, 1);
            NDArray known = Randomness.of(3).normal(m, new Shape(b, 1, 4, 4)).mul((float) S).add((float) MU[1]);
            NDArray x0 = known.mul(keep).add(keep.neg().add(1).mul((float) MU[0]));
            float[] errors = ClassInference.knownRegionErrors(EXACT, D, x0, TOP, 2, trials, Randomness.of(1), 0, m).toFloatArray();
            float[] pixels = x0.toFloatArray();
            int[] ts = ClassInference.timesteps(1000, trials);
            double[] got = new double[2];
            double[] want = new double[2];
            for (int i = 0; i < b; i++) {
                double[] kp = toDouble(pixels, i * 16, 8); // the top two rows are the first 8 pixels
                for (int c = 0; c < 2; c++) {
                    got[c] += errors[i * 2 + c] / b;
                    want[c] += expectedError(kp, c, ts) / b;
                }
            }
            System.out.printf("known-region error, mean of %d images, %d trials: class 0 %.5f (closed form %.5f), class 1 %.5f (%.5f)%n", b,
                    trials, got[0], want[0], got[1], want[1]);
            // Monte Carlo over 32 x 8 pixels x 400 trials: relative standard error about 0.5%
            assertThat(got[0]).isCloseTo(want[0], org.assertj.core.data.Offset.offset(0.03 * want[0]));
            assertThat(got[1]).isCloseTo(want[1], org.assertj.core.data.Offset.offset(0.03 * want[1]));
            assertThat(want[1]).isLessThan(want[0]);
            long[] likeliest = ClassInference.likeliest(m.create(errors, new Shape(b, 2)));
            assertThat(java.util.Arrays.stream(likeliest).filter(c -> c == 1).count()).as("images called class 1").isGreaterThanOrEqualTo(b - 2);
        }
    }

    @Test
    void theUnknownRegionDoesNotMatter() {
        // a network that looks at every pixel: the mean of x_t is added to each prediction, so unknown pixels that
        // reached x_t would change the known region's error
        Denoiser mixing = (x, t, y) -> EXACT.apply(x, t, y).add(x.reshape(x.getShape().get(0), -1).mean(new int[] {1}, true).reshape(-1, 1, 1, 1));
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(3, 1, 4, 4);
            NDArray keep = TOP.toArray(m, 1);
            NDArray a = m.randomUniform(-1f, 1f, shape);
            NDArray b = a.mul(keep).add(keep.neg().add(1).mul(m.randomUniform(-1f, 1f, shape)));
            float[] ea = ClassInference.knownRegionErrors(mixing, D, a, TOP, 2, 10, Randomness.of(5), 0, m).toFloatArray();
            float[] eb = ClassInference.knownRegionErrors(mixing, D, b, TOP, 2, 10, Randomness.of(5), 0, m).toFloatArray();
            assertThat(eb).containsExactly(ea);
            // and the draws are per image: image 2 scored alone (first item 2) is image 2 of the batch
            float[] alone = ClassInference.knownRegionErrors(mixing, D, a.get("2:3"), TOP, 2, 10, Randomness.of(5), 2, m).toFloatArray();
            assertThat(alone).containsExactly(ea[4], ea[5]);
        }
    }

    @Test
    void anEmptyMaskIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> ClassInference.knownRegionErrors(EXACT, D, m.zeros(new Shape(1, 1, 4, 4)), Mask.none(4, 4), 2, 4,
                    Randomness.of(0), 0, m)).hasMessageContaining("keeps no pixel");
        }
    }

    private static double[] toDouble(float[] f, int from, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = f[from + i];
        }
        return d;
    }
}

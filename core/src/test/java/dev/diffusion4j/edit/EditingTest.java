package dev.diffusion4j.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Inpainting (RePaint and the few-step variant), SDEdit and DDIM inversion on models whose answer is known: the
 * optimal ε of Gaussian data, where the probability-flow ODE has a closed form.
 */
class EditingTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);
    private static final GaussianDiffusion D = GaussianDiffusion.paperDefaults(LINEAR);
    /** The data: every pixel N(MU, S²). */
    private static final double MU = 0.2;
    private static final double S = 0.15;
    private static final Shape SHAPE = new Shape(3, 1, 4, 4);

    /** The optimal ε-prediction for x_0 ~ N(MU, S²): σ (x_t - α MU) / (α² S² + σ²). */
    private static final Denoiser EXACT = (x, t, y) -> {
        int ti = (int) t.toLongArray()[0];
        double a = LINEAR.sqrtAlphaBar(ti);
        double var = LINEAR.oneMinusAlphaBar(ti);
        return Ops.mul(Ops.sub(x, a * MU), Math.sqrt(var) / (a * a * S * S + var));
    };

    private static List<Sampler> samplers() {
        return List.of(SamplerSpec.ddim(10).build(D), SamplerSpec.ddim(10, 1).build(D), SamplerSpec.dpmSolverPlusPlus(10).build(D),
                SamplerSpec.sdeDpmSolverPlusPlus(10).build(D));
    }

    private static NDArray input(NDManager m) {
        return m.randomUniform(-0.9f, 0.9f, SHAPE);
    }

    private static Mask random(double p) {
        return Mask.parse("random:" + p, 4, 4);
    }

    @Test
    void repaintsJumpScheduleIsThePapersForJ10R10Over250Steps() {
        int[] walk = Inpainting.jumpSchedule(250, 10, 10);
        List<Integer> start = new ArrayList<>();
        for (int t = 249; t >= 230; t--) {
            start.add(t); // straight down to the first jump point below 250 - 10
        }
        for (int t = 231; t <= 240; t++) {
            start.add(t); // up j = 10
        }
        for (int t = 239; t >= 230; t--) {
            start.add(t); // and down again
        }
        assertThat(walk).startsWith(start.stream().mapToInt(Integer::intValue).toArray());
        int ups = 0;
        int[] arrivals = new int[250];
        for (int k = 1; k < walk.length; k++) {
            assertThat(Math.abs(walk[k] - walk[k - 1])).as("one index per move, at %d", k).isEqualTo(1);
            if (walk[k] > walk[k - 1]) {
                ups++;
            } else if (walk[k] >= 0) {
                arrivals[walk[k]]++;
            }
        }
        // the 24 jump points 0, 10, ..., 230 (below 250 - j) are each left upward r - 1 = 9 times, j = 10 steps each
        assertThat(ups).isEqualTo(24 * 9 * 10);
        assertThat(walk.length).isEqualTo(1 + (250 + ups) + ups);
        assertThat(walk[walk.length - 2]).isZero();
        assertThat(walk[walk.length - 1]).isEqualTo(-1);
        // an index in (p, p + 10] above a jump point p is passed on the way down 1 + 9 times; 240..248 once (249 is the start)
        assertThat(arrivals[235]).isEqualTo(10);
        assertThat(arrivals[230]).isEqualTo(10);
        assertThat(arrivals[5]).isEqualTo(10);
        assertThat(arrivals[241]).isEqualTo(1);
        assertThat(arrivals[249]).isZero();
        assertThat(new Inpainting.RePaintSettings(250, 10, 10).evaluations()).isEqualTo(250 + ups);
        assertThat(Inpainting.jumpSchedule(5, 10, 10)).as("no jump point below n - j").containsExactly(4, 3, 2, 1, 0, -1);
    }

    @Test
    void anEmptyMaskIsPlainSamplingBitForBitForEverySampler() {
        try (NDManager m = Tensors.manager(1)) {
            NDArray x0 = input(m);
            for (Sampler s : samplers()) {
                float[] plain = SamplingLoop.sample(EXACT, s, SHAPE, Randomness.of(4), 0, null, m, null, null, CancelToken.NONE).toFloatArray();
                float[] filled = Inpainting.fast(EXACT, s, D, x0, Mask.none(4, 4), 1, null, Randomness.of(4), 0, m, CancelToken.NONE).toFloatArray();
                assertThat(filled).as(s.getClass().getSimpleName()).containsExactly(plain);
            }
        }
    }

    @Test
    void theKnownRegionIsTheInputAfterTheLastStepAndAnAllKnownMaskReturnsTheInput() {
        try (NDManager m = Tensors.manager(1)) {
            NDArray x0 = input(m);
            float[] in = x0.toFloatArray();
            Mask mask = random(0.5);
            for (Sampler s : samplers()) {
                for (int resample : new int[] {1, 3}) {
                    float[] out = Inpainting.fast(EXACT, s, D, x0, mask, resample, null, Randomness.of(2), 0, m, CancelToken.NONE).toFloatArray();
                    assertKnownKept(mask, in, out, s.getClass().getSimpleName() + " resample " + resample);
                    float[] all = Inpainting.fast(EXACT, s, D, x0, Mask.all(4, 4), resample, null, Randomness.of(2), 0, m, CancelToken.NONE)
                            .toFloatArray();
                    assertThat(all).containsExactly(in);
                }
            }
            Inpainting.RePaintSettings small = new Inpainting.RePaintSettings(20, 5, 3);
            float[] out = Inpainting.repaint(EXACT, D, small, x0, mask, null, Randomness.of(2), 0, m, CancelToken.NONE).toFloatArray();
            assertKnownKept(mask, in, out, "RePaint");
            assertThat(Inpainting.repaint(EXACT, D, small, x0, Mask.all(4, 4), null, Randomness.of(2), 0, m, CancelToken.NONE).toFloatArray())
                    .containsExactly(in);
        }
    }

    private static void assertKnownKept(Mask mask, float[] in, float[] out, String what) {
        int per = mask.keep().length;
        int differs = 0;
        for (int i = 0; i < in.length; i++) {
            if (mask.keep()[i % per]) {
                assertThat(out[i]).as(what + " known pixel " + i).isEqualTo(in[i]);
            } else if (out[i] != in[i]) {
                differs++;
            }
        }
        assertThat(differs).as(what + ": the unknown pixels were drawn").isPositive();
    }

    @Test
    void repaintFillsInTheDatasMeanWhereNothingIsKnown() {
        // with the exact ε of N(MU, S²) the unknown pixels are draws from the data: their mean is MU, their spread S
        try (NDManager m = Tensors.manager(1)) {
            Shape big = new Shape(64, 1, 4, 4);
            NDArray x0 = m.full(big, 0.9f);
            Mask leftKnown = Mask.parse("right-half", 4, 4);
            float[] out = Inpainting.repaint(EXACT, D, new Inpainting.RePaintSettings(50, 10, 2), x0, leftKnown, null, Randomness.of(8), 0, m,
                    CancelToken.NONE).toFloatArray();
            double sum = 0;
            double sq = 0;
            int n = 0;
            for (int i = 0; i < out.length; i++) {
                if (!leftKnown.keep()[i % 16]) {
                    sum += out[i];
                    sq += out[i] * out[i];
                    n++;
                }
            }
            double mean = sum / n;
            double sd = Math.sqrt(sq / n - mean * mean);
            assertThat(mean).isCloseTo(MU, org.assertj.core.api.Assertions.within(4 * S / Math.sqrt(n)));
            assertThat(sd).isCloseTo(S, org.assertj.core.api.Assertions.within(0.3 * S));
        }
    }

    @Test
    void sdeditAtStrength0IsTheIdentityAndAt1PlainSampling() {
        try (NDManager m = Tensors.manager(1)) {
            NDArray x0 = input(m);
            for (Sampler s : samplers()) {
                assertThat(ImageToImage.edit(EXACT, s, D, x0, 0, null, Randomness.of(3), 0, m, CancelToken.NONE).toFloatArray())
                        .containsExactly(x0.toFloatArray());
                float[] plain = SamplingLoop.sample(EXACT, s, SHAPE, Randomness.of(3), 0, null, m, null, null, CancelToken.NONE).toFloatArray();
                assertThat(ImageToImage.edit(EXACT, s, D, x0, 1, null, Randomness.of(3), 0, m, CancelToken.NONE).toFloatArray())
                        .containsExactly(plain);
                float[] half = ImageToImage.edit(EXACT, s, D, x0, 0.5, null, Randomness.of(3), 0, m, CancelToken.NONE).toFloatArray();
                assertThat(half).isNotEqualTo(plain).isNotEqualTo(x0.toFloatArray());
            }
            assertThat(ImageToImage.startStep(20, 0.3)).isEqualTo(14);
            assertThatThrownBy(() -> ImageToImage.startStep(20, 1.5)).hasMessage("strength must be in [0, 1], got 1.5");
        }
    }

    @Test
    void ddimInversionReachesTheExactLatentOfGaussianData() {
        // the probability-flow ODE keeps (x_t - √ᾱ_t MU) / sd_t fixed, sd_t² = ᾱ_t S² + 1 - ᾱ_t: x_T is known exactly
        try (NDManager m = Tensors.manager(1)) {
            NDArray x0 = m.randomNormal(0, (float) S, new Shape(256, 1, 1, 1), ai.djl.ndarray.types.DataType.FLOAT32).add((float) MU);
            double[] in = Ops.toDouble(x0, m).toDoubleArray();
            double aT = LINEAR.sqrtAlphaBar(1000);
            double sdT = Math.sqrt(LINEAR.alphaBar(1000) * S * S + LINEAR.oneMinusAlphaBar(1000));
            int[] steps = {20, 100, 1000};
            double[] errors = new double[steps.length];
            double[] roundTrip = new double[steps.length];
            for (int k = 0; k < steps.length; k++) {
                NDArray xT = Inversion.invert(EXACT, D, steps[k], x0, null, m, CancelToken.NONE);
                double[] got = Ops.toDouble(xT, m).toDoubleArray();
                double[] back = Ops.toDouble(Inversion.decode(EXACT, D, steps[k], xT, null, m, CancelToken.NONE), m).toDoubleArray();
                for (int i = 0; i < in.length; i++) {
                    double exact = aT * MU + sdT / S * (in[i] - MU);
                    errors[k] = Math.max(errors[k], Math.abs(got[i] - exact));
                    roundTrip[k] = Math.max(roundTrip[k], Math.abs(back[i] - in[i]));
                }
            }
            System.out.printf("DDIM inversion of N(%.2f, %.2f²) data, max |x_T - exact| at 20/100/1000 steps: %.2e %.2e %.2e; "
                    + "invert-decode max |x_0 error|: %.2e %.2e %.2e%n", MU, S, errors[0], errors[1], errors[2], roundTrip[0], roundTrip[1],
                    roundTrip[2]);
            assertThat(errors[1]).isLessThan(errors[0]);
            assertThat(errors[2]).isLessThan(errors[1]);
            assertThat(errors[2]).isLessThan(0.05);
            assertThat(roundTrip[2]).isLessThan(roundTrip[0]);
        }
    }

    @Test
    void qSampleFromIsOneForwardStepAndComposesTo4() {
        try (NDManager m = Tensors.manager(1)) {
            NDArray x = m.randomUniform(-1f, 1f, new Shape(4, 8));
            NDArray z = m.randomNormal(new Shape(4, 8));
            float[] one = D.qSampleFrom(x, 499, 500, z).toFloatArray();
            float[] step = D.qStep(x, m.full(new Shape(4), 500, ai.djl.ndarray.types.DataType.INT64), z).toFloatArray();
            for (int i = 0; i < one.length; i++) {
                assertThat(one[i]).isCloseTo(step[i], org.assertj.core.api.Assertions.within(1e-6f));
            }
            // x_0 = 0.5 to s = 200 by (4), then to t = 700: the mean √ᾱ_700 · 0.5, the variance 1 - ᾱ_700, as (4) says directly
            Shape n = new Shape(200_000);
            NDArray xs = D.qSample(m.full(n, 0.5f), m.full(n, 200, ai.djl.ndarray.types.DataType.INT64), m.randomNormal(n));
            double[] xt = Ops.toDouble(D.qSampleFrom(xs, 200, 700, m.randomNormal(n)), m).toDoubleArray();
            double mean = java.util.Arrays.stream(xt).average().orElseThrow();
            double var = java.util.Arrays.stream(xt).map(v -> (v - mean) * (v - mean)).sum() / xt.length;
            assertThat(mean).isCloseTo(LINEAR.sqrtAlphaBar(700) * 0.5, org.assertj.core.api.Assertions.within(0.01));
            assertThat(var).isCloseTo(LINEAR.oneMinusAlphaBar(700), org.assertj.core.api.Assertions.within(0.01));
            assertThatThrownBy(() -> D.qSampleFrom(x, 5, 5, z)).hasMessage("q(x_t | x_s) needs 0 ≤ s < t ≤ 1000, got s = 5, t = 5");
        }
    }

    @Test
    void masksByNameAndTheirErrors() {
        Mask bottom = Mask.parse("bottom-half", 28, 28);
        assertThat(bottom.known()).isEqualTo(14 * 28);
        assertThat(bottom.keep()[0]).isTrue();
        assertThat(bottom.keep()[27 * 28]).isFalse();
        assertThat(Mask.parse("center", 28, 28).known()).isEqualTo(28 * 28 - 14 * 14);
        assertThat(Mask.parse("left-half", 28, 28).keep()[0]).isFalse();
        assertThat(Mask.parse("frames:10-20", 64, 64).known()).isEqualTo(64 * 54);
        assertThat(Mask.parse("seconds:0.15-0.30", 64, 64, 62.5).known()).as("frames 9 to 19").isEqualTo(64 * (64 - 10));
        assertThat(Mask.parse("random:0.25", 28, 28).known()).isBetween(500, 670);
        assertThatThrownBy(() -> Mask.parse("seconds:0.1-0.2", 28, 28)).hasMessage("mask seconds:0.1-0.2: seconds apply to a model of sound only");
        assertThatThrownBy(() -> Mask.parse("middle", 28, 28)).hasMessageStartingWith("mask 'middle' is not a PNG nor one of bottom-half");
    }
}

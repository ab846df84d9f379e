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

class SamplerTest {
    private static final NoiseSchedule S = NoiseSchedule.of(BetaSchedule.LINEAR, 1000);

    @Test
    void ddimWithEtaOneOnTheFullGridIsAncestralSamplingWithPosteriorVariance() {
        GaussianDiffusion small = new GaussianDiffusion(S, PredictionType.EPSILON, VarianceType.FIXED_SMALL, LossType.SIMPLE);
        DdpmSampler ddpm = new DdpmSampler(small);
        DdimSampler ddim = new DdimSampler(small, 1000, 1.0);
        assertThat(ddim.timesteps()).containsExactly(ddpm.timesteps());
        try (NDManager m = Tensors.manager(3)) {
            Shape shape = new Shape(3, 1, 4, 4);
            for (int i : new int[] {0, 1, 500, 998}) { // t = 1000, 999, 500, 2
                NDArray x = m.randomNormal(shape);
                NDArray out = Ops.mul(m.randomNormal(shape), 0.5);
                NDArray z = m.randomNormal(shape);
                StepOutput a = ddpm.step(out, i, x, z);
                StepOutput b = ddim.step(out, i, x, z);
                assertThat(maxAbsDiff(doubles(a.prevSample()), doubles(b.prevSample()))).as("step %d", i).isLessThan(2e-4);
                assertThat(maxAbsDiff(doubles(a.predX0()), doubles(b.predX0()))).isLessThan(1e-6);
            }
            // the last step adds no noise in either: two different noises give the same result
            NDArray x = m.randomNormal(shape);
            NDArray out = m.randomNormal(shape);
            for (Sampler sampler : new Sampler[] {ddpm, ddim}) {
                StepOutput a = sampler.step(out, 999, x, m.randomNormal(shape));
                StepOutput b = sampler.step(out, 999, x, m.randomNormal(shape));
                assertThat(doubles(a.prevSample())).as(sampler.getClass().getSimpleName()).containsExactly(doubles(b.prevSample()));
            }
            // while an earlier step does add it
            assertThat(doubles(ddim.step(out, 500, x, m.randomNormal(shape)).prevSample()))
                    .isNotEqualTo(doubles(ddim.step(out, 500, x, m.randomNormal(shape)).prevSample()));
        }
    }

    @Test
    void ddimGridsSpanOneToT() {
        assertThat(DdimSampler.grid(1000, 5)).containsExactly(1000, 750, 501, 251, 1);
        assertThat(DdimSampler.grid(1000, 1)).containsExactly(1000);
        assertThat(DdimSampler.grid(10, 10)).containsExactly(10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(S);
        assertThatThrownBy(() -> new DdimSampler(d, 0, 0)).hasMessageContaining("1..1000");
        assertThatThrownBy(() -> new DdimSampler(d, 10, -1)).hasMessageContaining("eta");
    }

    @Test
    void deterministicDdimWithAPerfectDenoiserRecoversItsTarget() {
        // a "model" that always predicts the ε that leads to a fixed x0: DDIM(η = 0) must land on x0
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(S);
        try (NDManager m = Tensors.manager(4)) {
            NDArray target = m.randomUniform(-0.9f, 0.9f, new Shape(2, 1, 3, 3));
            Denoiser oracle = (x, t, y) -> d.predictEpsFromX0(x, t, target);
            NDArray out = SamplingLoop.sample(oracle, new DdimSampler(d, 20, 0), new Shape(2, 1, 3, 3), Randomness.of(9), 0, null, m, null, null, CancelToken.NONE);
            assertThat(maxAbsDiff(doubles(out), doubles(target))).isLessThan(1e-3);
        }
    }

    @Test
    void sameSeedSameSamplesDifferentSeedDifferent() {
        GaussianDiffusion d = GaussianDiffusion.paperDefaults(NoiseSchedule.of(BetaSchedule.LINEAR, 50));
        Denoiser model = (x, t, y) -> Ops.mul(x, 0.1);
        try (NDManager m = Tensors.manager(1)) {
            Shape shape = new Shape(2, 1, 4, 4);
            double[] a = doubles(SamplingLoop.sample(model, new DdpmSampler(d), shape, Randomness.of(5), 0, null, m, null, null, CancelToken.NONE));
            double[] b = doubles(SamplingLoop.sample(model, new DdpmSampler(d), shape, Randomness.of(5), 0, null, m, null, null, CancelToken.NONE));
            double[] c = doubles(SamplingLoop.sample(model, new DdpmSampler(d), shape, Randomness.of(6), 0, null, m, null, null, CancelToken.NONE));
            assertThat(a).containsExactly(b);
            assertThat(a).isNotEqualTo(c);
            int[] calls = {0};
            SamplingLoop.sample(model, new DdimSampler(d, 10, 0.5), shape, Randomness.of(5), 0, null, m, (first, i, t, x, x0) -> calls[0]++, null, CancelToken.NONE);
            assertThat(calls[0]).isEqualTo(10);
        }
    }
}

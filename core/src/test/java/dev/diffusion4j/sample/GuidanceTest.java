package dev.diffusion4j.sample;

import static dev.diffusion4j.testing.Tensors.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.TestNets;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.testing.Tensors;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Classifier-free guidance on a class-conditional UNet. */
class GuidanceTest {
    @Test
    void scaleOneIsTheConditionalScaleZeroTheUnconditionalAndOthersExtrapolate() {
        try (NDManager m = Tensors.manager(3)) {
            UNet net = TestNets.random(new UNetConfig(8, 1, 8, List.of(1, 2), 1, List.of(4), 1, 0.0, 4, 3), 2, m);
            Denoiser d = Denoiser.of(net, new ParameterStore(m, false));
            NDArray x = m.randomNormal(new Shape(2, 1, 8, 8));
            NDArray t = m.create(new long[] {500, 20});
            NDArray y = m.create(new long[] {0, 2});
            NDArray none = m.create(new long[] {3, 3});
            double[] cond = doubles(d.apply(x, t, y));
            double[] uncond = doubles(d.apply(x, t, none));
            assertThat(cond).as("the class matters").isNotEqualTo(uncond);
            assertThat(doubles(Guidance.of(d, 1, 3).apply(x, t, y))).containsExactly(cond);
            assertThat(doubles(Guidance.of(d, 0, 3).apply(x, t, y))).containsExactly(uncond);
            double[] w3 = doubles(Guidance.of(d, 3, 3).apply(x, t, y));
            for (int i = 0; i < w3.length; i++) {
                assertThat(w3[i]).isCloseTo(uncond[i] + 3 * (cond[i] - uncond[i]), within(1e-4 * (1 + Math.abs(w3[i]))));
            }
            // no labels: an unconditional pass whatever the scale
            assertThat(doubles(Guidance.of(d, 3, 3).apply(x, t, null))).containsExactly(uncond);
            assertThatThrownBy(() -> Guidance.of(d, -1, 3)).hasMessageContaining("≥ 0");
        }
    }
}

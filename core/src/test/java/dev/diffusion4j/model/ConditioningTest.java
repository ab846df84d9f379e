package dev.diffusion4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.testing.Tensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The class embedding of a class-conditional UNet. */
class ConditioningTest {
    private static final UNetConfig COND = new UNetConfig(8, 1, 8, List.of(1, 2), 1, List.of(4), 1, 0.0, 4, 3);
    private static final UNetConfig UNCOND = new UNetConfig(8, 1, 8, List.of(1, 2), 1, List.of(4), 1, 0.0, 4, 0);

    @Test
    void theNoClassTokenWithAZeroRowIsTheUnconditionalNetworkWithTheSameWeights() {
        try (NDManager m = Tensors.manager(1)) {
            // random weights everywhere (the zero-initialised last layers would make every output zero)
            Map<String, SafeTensors.Tensor> weights = TestNets.randomWeights(COND, 5, 0.3);
            assertThat(weights.get("label.weight").shape()).containsExactly(4, 32); // K + 1 rows, 4 x base channels
            // zero the "no class" row (label 3): the conditional network then adds nothing for it
            java.util.Arrays.fill(weights.get("label.weight").data(), 3 * 32, 4 * 32, 0f);
            UNet cond = new UNet(COND);
            Weights.initialize(cond, m, weights, "random weights");
            weights.remove("label.weight");
            UNet plain = new UNet(UNCOND);
            Weights.initialize(plain, m, weights, "the conditional network's weights");
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(3, 1, 8, 8));
            NDArray t = m.create(new long[] {1, 40, 90});
            float[] none = cond.forward(ps, x, t, null, false).toFloatArray();
            float[] token = cond.forward(ps, x, t, m.create(new long[] {3, 3, 3}), false).toFloatArray();
            float[] unconditional = plain.forward(ps, x, t, false).toFloatArray();
            assertThat(none).containsExactly(token);
            assertThat(none).containsExactly(unconditional);
            // and a class does change the output
            float[] two = cond.forward(ps, x, t, m.create(new long[] {2, 2, 2}), false).toFloatArray();
            assertThat(two).isNotEqualTo(none);
        }
    }

    @Test
    void theEmbeddingGetsGradientOnlyInTheRowsUsed() {
        try (NDManager m = Tensors.manager(2)) {
            ClassEmbedding e = new ClassEmbedding(3, 5);
            e.initializeParameters(m, Randomness.of(1));
            ParameterStore ps = new ParameterStore(m, false);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(e.forward(ps, m.create(new long[] {0, 2, 2}), true).sum());
            }
            float[] g = e.namedParameters().get("weight").getArray().getGradient().toFloatArray();
            for (int row = 0; row < 4; row++) {
                float want = row == 0 ? 1 : row == 2 ? 2 : 0;
                for (int j = 0; j < 5; j++) {
                    assertThat(g[row * 5 + j]).as("row %d", row).isEqualTo(want);
                }
            }
        }
    }
}

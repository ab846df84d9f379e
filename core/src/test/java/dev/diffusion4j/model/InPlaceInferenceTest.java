package dev.diffusion4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Without gradient recording the UNet overwrites its own temporaries (SiLU, GroupNorm's affine,
 * residual sums); the result must be the same, bit for bit, as the recorded pass, and the skip
 * connections that later blocks read must not be touched.
 */
class InPlaceInferenceTest {
    @Test
    void forwardWithoutRecordingEqualsTheRecordedForward() {
        Djl.engine();
        UNetConfig c = new UNetConfig(8, 1, 16, List.of(1, 2), 1, List.of(4), 1, 0.0, 4);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet net = new UNet(c);
            net.initializeParameters(m, Randomness.of(3));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(3, 1, 8, 8));
            NDArray t = m.create(new long[] {1, 500, 999});
            float[] plain;
            try (NDManager s = m.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                plain = net.forward(ps, xs, t.toType(DataType.INT64, true), false).toFloatArray();
            }
            float[] recorded;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                recorded = net.forward(ps, xs, t.toType(DataType.INT64, true), false).toFloatArray();
            }
            assertThat(plain).containsExactly(recorded);
            float[] again;
            try (NDManager s = m.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                again = net.forward(ps, xs, t.toType(DataType.INT64, true), false).toFloatArray();
            }
            assertThat(again).as("the input and the weights are left as they were").containsExactly(plain);
        }
    }

    @Test
    void largeBatchesWithoutRecordingGoThroughInChunksWithTheSameResult() {
        Djl.engine();
        UNetConfig c = new UNetConfig(8, 1, 16, List.of(1, 2), 1, List.of(4), 1, 0.0, 4);
        int n = UNet.INFERENCE_CHUNK + 5;
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(4);
            UNet net = new UNet(c);
            net.initializeParameters(m, Randomness.of(4));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(n, 1, 8, 8));
            NDArray t = m.randomInteger(1, 1000, new Shape(n), DataType.INT64);
            float[] chunked;
            try (NDManager s = m.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                NDArray y = net.forward(ps, xs, t, false);
                assertThat(y.getShape()).isEqualTo(new Shape(n, 1, 8, 8));
                chunked = y.toFloatArray();
            }
            float[] whole;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                whole = net.forward(ps, xs, t, false).toFloatArray();
            }
            for (int i = 0; i < whole.length; i++) {
                assertThat(chunked[i]).isCloseTo(whole[i], org.assertj.core.api.Assertions.within(1e-5f * (1 + Math.abs(whole[i]))));
            }
        }
    }
}

package dev.diffusion4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.testing.Tensors;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The analytic FLOP count ({@link Flops}, from the architecture) against the count the layers report
 * from the shapes of their real tensors during a forward pass ({@link FlopCounter}).
 */
class FlopsTest {
    private static long measuredPerImage(UNetConfig c, int batch) {
        try (NDManager m = Tensors.manager(1)) {
            UNet net = new UNet(c);
            net.initializeParameters(m, Randomness.of(1));
            ParameterStore ps = new ParameterStore(m, false);
            var x = m.zeros(new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
            var t = m.create(new long[batch]);
            var y = c.conditional() ? m.create(new long[batch]) : null;
            long total = FlopCounter.count(() -> net.forward(ps, x, t, y, false));
            assertThat(total % batch).isZero();
            return total / batch;
        }
    }

    @Test
    void theArchitectureCountIsWhatTheLayersRun() {
        List<UNetConfig> configs = List.of(
                UNetConfig.mnist(),
                new UNetConfig(8, 1, 8, List.of(1), 1, List.of(), 1, 0, 4),
                new UNetConfig(28, 1, 24, List.of(1, 2, 2), 2, List.of(7, 14), 2, 0, 8),
                new UNetConfig(32, 3, 16, List.of(1, 2, 4), 1, List.of(16), 1, 0, 8, 10));
        for (UNetConfig c : configs) {
            assertThat(Flops.forwardPerImage(c)).as("%s", c).isEqualTo(measuredPerImage(c, 3));
        }
        // the default model, as bench reports it: 380.1 MFLOP per 28x28 image
        assertThat(Flops.forwardPerImage(UNetConfig.mnist()) / 1e6).isBetween(380.0, 380.2);
    }

    @Test
    void countingIsOffOutsideACount() {
        assertThat(FlopCounter.count(() -> null)).isZero();
    }
}

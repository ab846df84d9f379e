package dev.diffusion4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.testing.Tensors;
import dev.diffusion4j.train.TinyRuns;
import dev.diffusion4j.train.TrainConfig;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The two pieces of `bench` that the probes under scripts/probes reuse: its stand-in data and its sampling pass. */
class BenchmarkTest {
    private static final TrainConfig UNCOND = TinyRuns.config(1, 1e-3, 0.0);
    private static final TrainConfig COND = TinyRuns.conditional(1, 0.1);

    @Test
    void randomImagesHaveTheModelsShapeTheSameBytesEachTimeAndLabelsOnlyForAConditionalModel() {
        ImageDataset plain = Benchmark.randomImages(UNCOND, 5);
        assertThat(plain.count()).isEqualTo(5);
        assertThat(plain.pixels()).hasSize(5 * 8 * 8);
        assertThat(plain.labels()).isNull();
        assertThat(Benchmark.randomImages(UNCOND, 5).pixels()).isEqualTo(plain.pixels());
        // random bytes, not a constant image: most of the 256 values occur
        assertThat(IntStream.range(0, plain.pixels().length).map(i -> plain.pixels()[i]).distinct().count()).isGreaterThan(150);

        ImageDataset cond = Benchmark.randomImages(COND, 200);
        assertThat(cond.labels()).hasSize(200);
        assertThat(Arrays.stream(cond.labels()).distinct().sorted().toArray()).containsExactly(0, 1);
    }

    @Test
    void theSamplingPassRunsTheModelAndLeavesNothingBehindInItsManager() {
        try (NDManager m = Tensors.manager(1)) {
            UNet model = new UNet(UNCOND.model());
            model.initializeParameters(m, Randomness.of(0));
            ParameterStore ps = new ParameterStore(m, false);
            Runnable pass = Benchmark.samplingPass(model, ps, m, 2);
            pass.run();
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                pass.run();
            }
            assertThat(m.getManagedArrays()).hasSize(before);
        }
    }
}

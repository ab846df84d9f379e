package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion4j.io.SafeTensors;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static void assertSameState(Map<String, Map<String, SafeTensors.Tensor>> a, Map<String, Map<String, SafeTensors.Tensor>> b) {
        assertThat(a.keySet()).isEqualTo(b.keySet());
        for (String part : a.keySet()) {
            assertThat(a.get(part).keySet()).as(part).containsExactlyElementsOf(b.get(part).keySet());
            for (String name : a.get(part).keySet()) {
                assertThat(a.get(part).get(name).data()).as("%s %s", part, name).containsExactly(b.get(part).get(name).data());
            }
        }
    }

    @Test
    void resumingGivesBitIdenticalWeights(@TempDir Path dir) throws Exception {
        TrainConfig six = TinyRuns.config(6, 1e-3, 0.1);
        Map<String, Map<String, SafeTensors.Tensor>> straight;
        try (Trainer t = Trainer.fresh(six, TinyRuns.blobs(20))) {
            for (int i = 0; i < 6; i++) {
                t.step();
            }
            straight = t.state();
        }
        TrainConfig three = TinyRuns.config(3, 1e-3, 0.1);
        try (Trainer t = Trainer.fresh(three, TinyRuns.blobs(20))) {
            for (int i = 0; i < 3; i++) {
                t.step();
            }
            t.checkpoint(dir);
        }
        Checkpoint ckpt = Checkpoint.open(dir);
        assertThat(ckpt.state().step()).isEqualTo(3);
        Map<String, Map<String, SafeTensors.Tensor>> resumed;
        try (Trainer t = Trainer.resume(ckpt, six, TinyRuns.blobs(20))) {
            assertThat(t.currentStep()).isEqualTo(3);
            for (int i = 0; i < 3; i++) {
                t.step();
            }
            resumed = t.state();
        }
        assertSameState(straight, resumed);
        // and the weights did move: not a trivially equal pair
        try (Trainer t = Trainer.fresh(six, TinyRuns.blobs(20))) {
            assertThat(t.state().get("model").get("in.weight").data())
                    .isNotEqualTo(straight.get("model").get("in.weight").data());
        }
    }

    @Test
    void lossGoesDownOnTinyData() {
        try (Trainer t = Trainer.fresh(TinyRuns.config(60, 3e-3, 0.0), TinyRuns.blobs(64))) {
            double first = 0;
            double last = 0;
            for (int i = 0; i < 60; i++) {
                double l = t.step().loss();
                if (i < 10) {
                    first += l / 10;
                } else if (i >= 50) {
                    last += l / 10;
                }
            }
            assertThat(last).isLessThan(0.8 * first);
        }
    }

    @Test
    void divergenceStopsAtTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        TrainConfig c = TinyRuns.config(50, 1e12, 0.0);
        c = new TrainConfig(c.data(), c.model(), c.diffusion(),
                new TrainConfig.Training(50, 8, 1e12, 0, 0.0, 0.9, 0.999, 1e-8, 0.0, 0.9, true, 7, false),
                new TrainConfig.Output(1, 0, 1, 100, 4, 5));
        try (Trainer t = Trainer.fresh(c, TinyRuns.blobs(20))) {
            assertThatThrownBy(() -> TrainingRun.run(t, dir, new Silent(), (ema, count, seed) -> new byte[count * 64]))
                    .isInstanceOf(DivergedException.class)
                    .hasMessageContaining("diverged at step");
            long bad = t.currentStep() + 1;
            Checkpoint last = Checkpoint.open(dir);
            assertThat(last.state().step()).isEqualTo(bad - 1);
            assertThat(Checkpoint.list(dir)).allSatisfy(p -> assertThat(p.getFileName().toString()).isLessThan(Checkpoint.dirName(bad)));
            assertThat(last.tensors("model")).isNotEmpty();
        }
    }

    static final class Silent implements TrainingRun.Progress {
        @Override
        public void started(long from, long to) {}

        @Override
        public void logged(long step, long to, double loss, double imagesPerSec) {}

        @Override
        public void message(String line) {}

        @Override
        public void finished() {}
    }
}

package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.CancelToken;
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
            assertThatThrownBy(() -> TrainingRun.run(t, dir, new Silent(), (ema, count, seed) -> new byte[count * 64], CancelToken.NONE))
                    .isInstanceOf(DivergedException.class)
                    .hasMessageContaining("diverged at step");
            long bad = t.currentStep() + 1;
            Checkpoint last = Checkpoint.open(dir);
            assertThat(last.state().step()).isEqualTo(bad - 1);
            assertThat(Checkpoint.list(dir)).allSatisfy(p -> assertThat(p.getFileName().toString()).isLessThan(Checkpoint.dirName(bad)));
            assertThat(last.tensors("model")).isNotEmpty();
        }
    }

    @Test
    void resumingAClassConditionalRunGivesBitIdenticalWeights(@TempDir Path dir) throws Exception {
        Map<String, Map<String, SafeTensors.Tensor>> straight;
        try (Trainer t = Trainer.fresh(TinyRuns.conditional(6, 0.3), TinyRuns.labelledBlobs(20))) {
            for (int i = 0; i < 6; i++) {
                t.step();
            }
            straight = t.state();
        }
        try (Trainer t = Trainer.fresh(TinyRuns.conditional(3, 0.3), TinyRuns.labelledBlobs(20))) {
            for (int i = 0; i < 3; i++) {
                t.step();
            }
            t.checkpoint(dir);
        }
        Map<String, Map<String, SafeTensors.Tensor>> resumed;
        try (Trainer t = Trainer.resume(Checkpoint.open(dir), TinyRuns.conditional(6, 0.3), TinyRuns.labelledBlobs(20))) {
            for (int i = 0; i < 3; i++) {
                t.step();
            }
            resumed = t.state();
        }
        assertSameState(straight, resumed);
        assertThat(straight.get("model")).containsKey("label.weight");
    }

    @Test
    void labelDropoutHappensAtItsRateFromTheStepsOwnDraws() {
        double p = 0.1;
        try (Trainer t = Trainer.fresh(TinyRuns.conditional(1, p), TinyRuns.labelledBlobs(64))) {
            int dropped = 0;
            int total = 0;
            for (long k = 1; k <= 500; k++) {
                Trainer.Draws d = t.draws(k);
                for (int i = 0; i < d.labels().length; i++) {
                    total++;
                    if (d.labels()[i] == 2) {
                        dropped++;
                    } else {
                        assertThat(d.labels()[i]).isEqualTo(TinyRuns.labelledBlobs(64).labels()[d.indices()[i]]);
                    }
                }
                assertThat(t.draws(k).labels()).as("step %d drawn again", k).containsExactly(d.labels());
            }
            double sigma = Math.sqrt(total * p * (1 - p));
            assertThat((double) dropped).isCloseTo(total * p, within(5 * sigma));
        }
    }

    @Test
    void aConditionalModelRefusesDataWithoutLabelsOrWithTooManyClasses() {
        assertThatThrownBy(() -> Trainer.fresh(TinyRuns.conditional(1, 0.1), TinyRuns.blobs(8)))
                .hasMessageContaining("has no class labels, but model.classes = 2");
        ImageDataset three = new ImageDataset("three classes", 3, 1, 8, 8, new byte[3 * 64], new int[] {0, 1, 2});
        assertThatThrownBy(() -> Trainer.fresh(TinyRuns.conditional(1, 0.1), three)).hasMessageContaining("class label 2, outside model.classes = 2");
    }

    @Test
    void learningRateSchedules() {
        TrainConfig.LrSchedule c = TrainConfig.LrSchedule.CONSTANT;
        TrainConfig.LrSchedule cos = TrainConfig.LrSchedule.COSINE;
        assertThat(c.at(5, 1e-3, 10, 100, 0)).isEqualTo(5e-4);
        assertThat(c.at(10, 1e-3, 10, 100, 0)).isEqualTo(1e-3);
        assertThat(c.at(100, 1e-3, 10, 100, 0)).isEqualTo(1e-3);
        assertThat(cos.at(5, 1e-3, 10, 100, 0)).isEqualTo(5e-4);
        assertThat(cos.at(10, 1e-3, 10, 100, 0)).isEqualTo(1e-3);
        assertThat(cos.at(55, 1e-3, 10, 100, 0)).isCloseTo(5e-4, within(1e-15)); // half way: cos(pi/2) = 0
        assertThat(cos.at(100, 1e-3, 10, 100, 0)).isCloseTo(0, within(1e-18));
        assertThat(cos.at(32, 1e-3, 10, 100, 0)).isCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI * 22 / 90)), within(1e-18));
        // warm-up, stable, decay: constant to step 80, then linearly to 0 over the last 20 steps
        assertThat(c.at(5, 1e-3, 10, 100, 20)).isEqualTo(5e-4);
        assertThat(c.at(80, 1e-3, 10, 100, 20)).isEqualTo(1e-3);
        assertThat(c.at(81, 1e-3, 10, 100, 20)).isCloseTo(1e-3 * 19 / 20, within(1e-18));
        assertThat(c.at(90, 1e-3, 10, 100, 20)).isCloseTo(5e-4, within(1e-18));
        assertThat(c.at(100, 1e-3, 10, 100, 20)).isZero();
    }

    static final class Silent implements TrainingRun.Listener {}
}

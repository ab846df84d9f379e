package dev.diffusion4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.train.StepStats;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training through the library: the listener's events, cancel and resume, settings that are wrong. */
class TrainingTest {
    /** Eight random 8x8 grey PNGs. */
    private static Path pictures(Path dir) throws Exception {
        Files.createDirectories(dir);
        Random r = new Random(3);
        for (int i = 0; i < 8; i++) {
            BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int v = r.nextInt(256);
                    img.getRaster().setSample(x, y, 0, v);
                }
            }
            ImageIO.write(img, "png", dir.resolve("p" + i + ".png").toFile());
        }
        return dir;
    }

    /** A tiny model on {@code pics}: 4 steps of 4 images, T = 20, a metrics row and a checkpoint every 2 steps. */
    private static Training.Builder tiny(Path pics, Path run) {
        return Training.builder().data(DataSpec.images(pics)).runDirectory(run).steps(4).batchSize(4)
                .set("model.imageSize", 8).set("model.channels", 1).set("model.baseChannels", 8).set("model.channelMults", List.of(1, 2))
                .set("model.attentionResolutions", List.of()).set("model.normGroups", 4).set("diffusion.timesteps", 20)
                .set("training.warmupSteps", 1).set("output.logEvery", 2).set("output.sampleEvery", 0).set("output.checkpointEvery", 2)
                .set("output.sampleSteps", 3).set("output.samples", 4);
    }

    @Test
    void aRunTellsItsListenerEachStageAndSamplesAfterwards(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        List<String> events = new ArrayList<>();
        TrainListener record = new TrainListener() {
            @Override
            public void onStart(TrainStart s) {
                events.add("start " + s.fromStep() + ".." + s.toStep() + " " + s.images() + " images");
            }

            @Override
            public void onStep(StepStats s) {
                events.add("step " + s.step());
            }

            @Override
            public void onLog(TrainLog log) {
                events.add("log " + log.step());
            }

            @Override
            public void onPreview(long step, Path png) {
                events.add("preview " + step + " " + run.relativize(png));
            }

            @Override
            public void onCheckpoint(long step, Path ckpt) {
                events.add("checkpoint " + step);
            }

            @Override
            public void onFinish(TrainResult r) {
                events.add("finish " + r.step());
            }
        };
        TrainResult result = tiny(pictures(dir.resolve("pics")), run).listener(record).build().run();
        assertThat(events).containsExactly("start 0..4 8 images", "step 1", "step 2", "log 2", "checkpoint 2", "step 3", "step 4", "log 4",
                "preview 4 samples/step-000000004.png", "checkpoint 4", "finish 4");
        assertThat(result.checkpoint()).isEqualTo(run.resolve("checkpoints").resolve("step-000000004"));
        try (DiffusionModel model = DiffusionModel.open(ModelSource.runDirectory(result.runDirectory()))) {
            assertThat(model.info().step()).isEqualTo(4);
            assertThat(model.sample(SampleRequest.builder().count(2).sampler(SamplerSpec.ddim(3)).build()).count()).isEqualTo(2);
        }
    }

    @Test
    void aCancelledRunKeepsTheStepInFlightAndResumesToTheSameWeights(@TempDir Path dir) throws Exception {
        Path pics = pictures(dir.resolve("pics"));
        Path whole = dir.resolve("whole");
        tiny(pics, whole).build().run();

        Path cut = dir.resolve("cut");
        CancelToken token = CancelToken.create();
        TrainListener cancelAtOne = new TrainListener() {
            @Override
            public void onStep(StepStats s) {
                token.cancel();
            }
        };
        assertThatThrownBy(() -> tiny(pics, cut).listener(cancelAtOne).cancel(token).build().run()).isInstanceOf(CancellationException.class)
                .hasMessageStartingWith("cancelled: stopped; checkpoint at step 1 in " + cut.resolve("checkpoints").resolve("step-000000001"));
        TrainResult resumed = Training.builder().resume(cut).build().run();
        assertThat(resumed.step()).isEqualTo(4);
        for (String file : List.of("model.safetensors", "ema.safetensors", "optimizer.safetensors")) {
            assertThat(Files.readAllBytes(resumed.checkpoint().resolve(file))).as(file + " after cancel and resume")
                    .isEqualTo(Files.readAllBytes(whole.resolve("checkpoints").resolve("step-000000004").resolve(file)));
        }
    }

    @Test
    void aResumedRunWritesANewEventFileThatStartsWhereTheCheckpointEnds(@TempDir Path dir) throws Exception {
        Path pics = pictures(dir.resolve("pics"));
        Path run = dir.resolve("run");
        tiny(pics, run).steps(2).build().run();
        Training.builder().resume(run).steps(4).build().run();
        List<Path> files;
        try (var s = Files.list(run)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).sorted().toList();
        }
        assertThat(files).hasSize(2);
        List<Long> firstSteps = summarySteps(files.get(0));
        List<Long> secondSteps = summarySteps(files.get(1));
        assertThat(firstSteps).containsExactly(0L, 2L, 2L); // the configuration, the metrics row, the preview grid at the end
        var second = dev.diffusion4j.io.TensorBoardEventsTest.events(files.get(1));
        assertThat(dev.diffusion4j.io.TensorBoardEventsTest.get(second.get(1), "session_log.status")).as("START").isEqualTo(1);
        assertThat(dev.diffusion4j.io.TensorBoardEventsTest.get(second.get(1), "step")).isEqualTo(3L);
        assertThat(secondSteps).as("nothing before the resumed step but the configuration").containsExactly(2L, 4L, 4L);

        Path off = dir.resolve("off");
        tiny(pics, off).steps(2).tensorboard(false).build().run();
        try (var s = Files.list(off)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("events.out"));
        }
    }

    /** The steps of an event file's summaries, in order. */
    private static List<Long> summarySteps(Path file) throws Exception {
        List<Long> out = new ArrayList<>();
        for (var e : dev.diffusion4j.io.TensorBoardEventsTest.events(file)) {
            if (e.hasField(e.getDescriptorForType().findFieldByName("summary"))) {
                out.add((Long) dev.diffusion4j.io.TensorBoardEventsTest.get(e, "step"));
            }
        }
        return out;
    }

    @Test
    void aRunTrainsOnAThreadOfItsOwn(@TempDir Path dir) throws Exception {
        // libtorch's grad mode is per thread and on in a new one; the engine's start turns it off only on its own thread,
        // where the other tests train: on a fresh thread the optimiser's in-place update used to fail
        Path pics = pictures(dir.resolve("pics"));
        dev.diffusion4j.engine.Djl.engine();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<TrainResult> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(tiny(pics, dir.resolve("run")).tensorboard(false).build().run());
                try (DiffusionModel model = DiffusionModel.open(ModelSource.runDirectory(dir.resolve("run")))) {
                    model.sample(SampleRequest.builder().count(2).sampler(SamplerSpec.ddim(3)).build());
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        assertThat(failure.get()).as("training and sampling on a new thread").isNull();
        assertThat(result.get().step()).isEqualTo(4);
    }

    @Test
    void wrongSettingsAreNamed(@TempDir Path dir) {
        assertThatThrownBy(() -> Training.builder().runDirectory(dir).set("model.widht", 3).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("setting 'model.widht': no such configuration key (see train --print-config)");
        assertThatThrownBy(() -> Training.builder().steps(3).build()).hasMessage("runDirectory is required (or resume)");
        assertThatThrownBy(() -> Training.builder().resume(dir).config(dir.resolve("x.yaml")).build())
                .hasMessage("config: a resumed run's configuration comes from its checkpoint");
    }
}

package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, resume and sample through the command line on a tiny model and a folder of 8x8 PNGs. */
class TrainSampleCliTest {
    @TempDir
    static Path dir;

    static CliRunner.Result run(String... args) {
        return CliRunner.run(args);
    }

    @BeforeAll
    static void data() throws Exception {
        Path images = TestData.dots(dir.resolve("images"), 12);
        Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4}",
                "diffusion: {timesteps: 50}",
                "training: {steps: 4, batchSize: 4, warmupSteps: 2}",
                "output: {logEvery: 2, sampleEvery: 0, checkpointEvery: 2, keepCheckpoints: 2, samples: 4, sampleSteps: 5}",
                ""));
    }

    @Test
    void trainsResumesAndSamples() throws Exception {
        Path run = dir.resolve("run");
        CliRunner.Result r = run("train", "--config", dir.resolve("tiny.yaml").toString(), "--out", run.toString());
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(run.resolve("checkpoints/step-000000004/ema.safetensors")).exists();
        assertThat(run.resolve("checkpoints/step-000000002")).exists();
        assertThat(Files.readAllLines(run.resolve("metrics.csv"))).hasSize(3)
                .first().isEqualTo("step,loss,loss_t_q1,loss_t_q2,loss_t_q3,loss_t_q4,grad_norm,lr,images_per_sec");
        assertThat(run.resolve("loss.png")).exists();
        assertThat(run.resolve("samples/step-000000004.png")).exists();

        CliRunner.Result again = run("train", "--config", dir.resolve("tiny.yaml").toString(), "--out", run.toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("already holds checkpoints");

        CliRunner.Result resumed = run("train", "--resume", run.toString(), "--steps", "6");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(run.resolve("checkpoints/step-000000006")).exists();
        assertThat(run.resolve("checkpoints/step-000000002")).doesNotExist(); // keepCheckpoints: 2
        assertThat(Files.readAllLines(run.resolve("metrics.csv"))).hasSize(4);

        Path grid = dir.resolve("grid.png");
        Path traj = dir.resolve("traj.png");
        CliRunner.Result s = run("sample", "--checkpoint", run.toString(), "--sampler", "ddim", "--steps", "5", "--num", "6", "--out",
                grid.toString(), "--trajectory", traj.toString(), "--seed", "3");
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(ImageIO.read(grid.toFile()).getWidth()).isEqualTo(3 * 18 + 2);
        assertThat(ImageIO.read(traj.toFile())).isNotNull();
        Path npy = dir.resolve("s.npy");
        Path npy2 = dir.resolve("s2.npy");
        assertThat(run("sample", "--checkpoint", run.toString(), "--num", "3", "--out", npy.toString(), "--seed", "3").code()).isZero();
        assertThat(run("sample", "--checkpoint", run.toString(), "--num", "3", "--out", npy2.toString(), "--seed", "3").code()).isZero();
        byte[] a = Files.readAllBytes(npy);
        assertThat(new String(a, 1, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
        assertThat(new String(a, 10, 80, java.nio.charset.StandardCharsets.US_ASCII)).contains("'shape': (3, 1, 8, 8)");
        assertThat(a.length % 64).isEqualTo((3 * 64) % 64);
        assertThat(Files.readAllBytes(npy2)).as("same seed, same samples").isEqualTo(a);
        Path pngs = dir.resolve("pngs");
        assertThat(run("sample", "--checkpoint", run.toString(), "--sampler", "ddim", "--steps", "3", "--num", "2", "--out",
                pngs.toString()).code()).isZero();
        try (var l = Files.list(pngs)) {
            assertThat(l.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(List.of("sample-00000.png", "sample-00001.png"));
        }
    }

    @Test
    void aResumedConstantRunGetsItsDecayWithoutChangingTheStepsTaken() throws Exception {
        Path run = dir.resolve("wsd");
        assertThat(run("train", "--config", dir.resolve("tiny.yaml").toString(), "--out", run.toString()).code()).isZero();
        CliRunner.Result r = run("train", "--resume", run.toString(), "--steps", "8", "--decay-steps", "3");
        assertThat(r.code()).as(r.err()).isZero();
        // metrics.csv logs every 2 steps; lr is column 8. Warm-up over 2 steps to the default 2e-4, then
        // constant, then the last 3 steps (6, 7, 8) at 2/3, 1/3 and 0 of it
        List<Double> lr = Files.readAllLines(run.resolve("metrics.csv")).stream().skip(1).map(l -> Double.parseDouble(l.split(",")[7])).toList();
        assertThat(lr).hasSize(4);
        assertThat(lr.get(0)).isCloseTo(2e-4, within(1e-9)); // metrics.csv keeps 6 digits
        assertThat(lr.get(1)).isCloseTo(2e-4, within(1e-9));
        assertThat(lr.get(2)).isCloseTo(2e-4 * 2 / 3, within(1e-9));
        assertThat(lr.get(3)).isZero();
        assertThat(Files.readString(run.resolve("checkpoints/step-000000008/config.json"))).contains("\"decaySteps\" : 3");

        Path cosCfg = dir.resolve("cos.yaml");
        Files.writeString(cosCfg, Files.readString(dir.resolve("tiny.yaml")).replace("warmupSteps: 2}", "warmupSteps: 2, lrSchedule: COSINE}"));
        CliRunner.Result refused = run("train", "--config", cosCfg.toString(), "--decay-steps", "2", "--out", dir.resolve("cos").toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err().strip()).isEqualTo("diffusion4j: error: training.decaySteps is for lrSchedule CONSTANT; COSINE sets its own decay");
        CliRunner.Result tooLong = run("train", "--config", dir.resolve("tiny.yaml").toString(), "--decay-steps", "3", "--out",
                dir.resolve("long").toString());
        assertThat(tooLong.code()).isEqualTo(2);
        assertThat(tooLong.err().strip()).isEqualTo("diffusion4j: error: training.decaySteps must be in [0, steps - warmupSteps] = [0, 2], got 3");
    }

    @Test
    void aCheckpointWrittenBeforeClassesExistedStillSamples() throws Exception {
        Path run = dir.resolve("old");
        assertThat(run("train", "--config", dir.resolve("tiny.yaml").toString(), "--steps", "2", "--out", run.toString()).code()).isZero();
        // the configuration as the previous release wrote it: no class, label-dropout or min-SNR keys
        Path config = run.resolve("checkpoints/step-000000002/config.json");
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) dev.diffusion4j.train.Configs.JSON.readTree(config.toFile());
        tree.remove("classNames");
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("model")).remove("classes");
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("training")).remove("labelDropout");
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("training")).remove("decaySteps");
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("diffusion")).remove("minSnrGamma");
        Files.writeString(config, dev.diffusion4j.train.Configs.toJson(tree));
        assertThat(Files.readString(config)).doesNotContain("classes").doesNotContain("labelDropout");
        CliRunner.Result s = run("sample", "--checkpoint", run.toString(), "--sampler", "dpm-solver++", "--steps", "4", "--num", "2",
                "--out", dir.resolve("old.png").toString());
        assertThat(s.code()).as(s.err()).isZero();
        CliRunner.Result c = run("sample", "--checkpoint", run.toString(), "--class", "3", "--out", dir.resolve("old3.png").toString());
        assertThat(c.code()).isEqualTo(2);
        assertThat(c.err().strip()).isEqualTo("diffusion4j: error: --class and --guidance need a class-conditional model; "
                + run.resolve("checkpoints/step-000000002") + " has model.classes = 0");
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        Path cfg = dir.resolve("typo.yaml");
        Files.writeString(cfg, "training: {stepz: 3}\n");
        CliRunner.Result typo = run("train", "--config", cfg.toString(), "--out", dir.resolve("r1").toString());
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err().strip()).isEqualTo("diffusion4j: error: " + cfg + ": unknown key 'training.stepz'");

        Path idx = Files.createDirectories(dir.resolve("idx8"));
        Files.write(idx.resolve("train-images-idx3-ubyte"), dev.diffusion4j.data.DatasetsTest.idx3(2, 8, 8, 128));
        Files.write(idx.resolve("train-labels-idx1-ubyte"), dev.diffusion4j.data.DatasetsTest.idx1(2));
        CliRunner.Result size = run("train", "--data", "mnist:" + idx, "--steps", "1", "--out", dir.resolve("r2").toString());
        assertThat(size.code()).isEqualTo(2);
        assertThat(size.err()).contains("8x8x1 images but the model expects 28x28x1");
        assertThat(dir.resolve("r2")).doesNotExist();

        assertThat(run("train", "--steps", "0", "--out", dir.resolve("r3").toString()).err()).contains("training.steps must be at least 1");
        assertThat(run("train", "--data", "mnist:" + dir.resolve("nowhere"), "--out", dir.resolve("r4").toString()).err())
                .contains("nowhere: not a directory");
        assertThat(run("sample", "--checkpoint", dir.resolve("nothing").toString(), "--out", dir.resolve("x.png").toString()).code())
                .isEqualTo(2);

        // a corrupt checkpoint file is refused, naming it
        Path run = dir.resolve("corrupt");
        assertThat(run("train", "--config", dir.resolve("tiny.yaml").toString(), "--steps", "2", "--out", run.toString()).code()).isZero();
        Path ema = run.resolve("checkpoints/step-000000002/ema.safetensors");
        byte[] b = Files.readAllBytes(ema);
        Files.write(ema, java.util.Arrays.copyOf(b, b.length - 10));
        CliRunner.Result s = run("sample", "--checkpoint", run.toString(), "--num", "1", "--out", dir.resolve("c.png").toString());
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err().strip()).startsWith("diffusion4j: error: " + ema + ": not a valid safetensors file").doesNotContain("\n");
        assertThat(dir.resolve("c.png")).doesNotExist();
        CliRunner.Result r = run("train", "--resume", run.toString(), "--steps", "4");
        assertThat(r.code()).isEqualTo(2);
        assertThat(run.resolve("checkpoints/step-000000002/model.safetensors")).exists();
    }
}

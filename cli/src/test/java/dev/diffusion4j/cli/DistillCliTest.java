package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** distill through the command line: rounds, what a distilled checkpoint records, how sample treats it, resume. */
class DistillCliTest {
    @TempDir
    static Path dir;

    static Path teacher;

    @BeforeAll
    static void teacher() throws Exception {
        Path images = TestData.dots(dir.resolve("images"), 12);
        Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4}",
                "diffusion: {timesteps: 50, prediction: V}",
                "training: {steps: 4, batchSize: 4, warmupSteps: 2}",
                "output: {logEvery: 2, sampleEvery: 0, checkpointEvery: 4, keepCheckpoints: 1, samples: 4, sampleSteps: 5}",
                ""));
        teacher = dir.resolve("teacher");
        CliRunner.Result r = CliRunner.run("train", "--config", dir.resolve("tiny.yaml").toString(), "--out", teacher.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    @Test
    void distilsInRoundsAndTheStudentSamplesItsOwnGridOnly() throws Exception {
        Path out = dir.resolve("distilled");
        CliRunner.Result r = CliRunner.run("distill", "--teacher", teacher.toString(), "--steps-from", "8", "--steps-to", "2",
                "--round-steps", "3", "--batch", "4", "--out", out.toString(), "--no-tensorboard");
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("round 1: 8 → 4 steps").contains("round 2: 4 → 2 steps");
        for (String round : new String[] {"steps-4", "steps-2"}) {
            assertThat(out.resolve(round + "/checkpoints/step-000000003/ema.safetensors")).exists();
            assertThat(out.resolve(round + "/metrics.csv")).exists();
        }
        String config = Files.readString(out.resolve("steps-2/checkpoints/step-000000003/config.json"));
        assertThat(config).contains("\"steps\" : 2").contains("\"teacherSteps\" : 4").contains(out.resolve("steps-4").toString());

        Path own = dir.resolve("own.npy");
        Path named = dir.resolve("named.npy");
        CliRunner.Result s = CliRunner.run("sample", "--checkpoint", out.resolve("steps-2").toString(), "--num", "3", "--out", own.toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).contains("ddim with 2 steps (2 network evaluations each)");
        assertThat(CliRunner.run("sample", "--checkpoint", out.resolve("steps-2").toString(), "--num", "3", "--sampler", "ddim", "--grid",
                "trailing", "--steps", "2", "--out", named.toString()).code()).isZero();
        assertThat(Files.readAllBytes(own)).as("its own grid is DDIM on the trailing 2").isEqualTo(Files.readAllBytes(named));
        Path whole = dir.resolve("whole.npy");
        assertThat(CliRunner.run("sample", "--checkpoint", out.toString(), "--num", "3", "--out", whole.toString()).code()).isZero();
        assertThat(Files.readAllBytes(whole)).as("the distillation's directory opens its last round").isEqualTo(Files.readAllBytes(own));

        CliRunner.Result refused = CliRunner.run("sample", "--checkpoint", out.resolve("steps-2").toString(), "--steps", "8", "--out",
                dir.resolve("no.npy").toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err().strip()).doesNotContain("\n").contains("is distilled for ddim with 2 steps on the trailing grid")
                .contains("(8 is 4x its 2)");
        assertThat(dir.resolve("no.npy")).doesNotExist();

        CliRunner.Result again = CliRunner.run("distill", "--teacher", teacher.toString(), "--steps-from", "8", "--steps-to", "2", "--out",
                out.toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a distillation");

        CliRunner.Result resumed = CliRunner.run("distill", "--resume", out.toString(), "--no-tensorboard");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("round 1 (8 → 4 steps) is done").contains("round 2 (4 → 2 steps) is done");

        CliRunner.Result longer = CliRunner.run("distill", "--resume", out.toString(), "--round-steps", "4", "--no-tensorboard");
        assertThat(longer.code()).as(longer.err()).isZero();
        assertThat(longer.out()).contains("steps per round: 3 -> 4");
        assertThat(out.resolve("steps-4/checkpoints/step-000000004")).exists();
        assertThat(out.resolve("steps-2/checkpoints/step-000000004")).exists();
    }

    @Test
    void guidedDistillationGivesStudentsThatTakeTheScaleAndRefuseOnesOutsideTheirRange() throws Exception {
        Path images = dir.resolve("shapes");
        for (int i = 0; i < 8; i++) {
            String cls = i % 2 == 0 ? "circle" : "square";
            Files.createDirectories(images.resolve(cls));
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setSample(i % 8, i % 2 == 0 ? 1 : 6, 0, 255);
            javax.imageio.ImageIO.write(img, "png", images.resolve(cls).resolve(i + ".png").toFile());
        }
        Files.writeString(dir.resolve("cond.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4, classes: 2}",
                "diffusion: {timesteps: 50, prediction: V}",
                "training: {steps: 3, batchSize: 4, warmupSteps: 1, labelDropout: 0.2}",
                "output: {logEvery: 1, sampleEvery: 0, checkpointEvery: 3, keepCheckpoints: 1, samples: 4, sampleSteps: 3}",
                ""));
        Path condTeacher = dir.resolve("cond-teacher");
        CliRunner.Result t = CliRunner.run("train", "--config", dir.resolve("cond.yaml").toString(), "--out", condTeacher.toString());
        assertThat(t.code()).as(t.err() + t.out()).isZero();

        Path out = dir.resolve("guided");
        CliRunner.Result r = CliRunner.run("distill", "--teacher", condTeacher.toString(), "--steps-from", "8", "--steps-to", "2",
                "--round-steps", "2", "--batch", "4", "--guidance-range", "1,3", "--out", out.toString(), "--no-tensorboard");
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        for (String round : new String[] {"steps-4", "steps-2"}) {
            String config = Files.readString(out.resolve(round + "/checkpoints/step-000000002/config.json"));
            assertThat(config).as(round).contains("\"guidanceInput\" : true").containsPattern("\"guidanceRange\" : \\[ 1\\.0, 3\\.0 \\]");
            assertThat(Files.readString(out.resolve(round + "/checkpoints/step-000000002/ema.safetensors"), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .contains("guidance.fc2.weight");
        }
        assertThat(Files.readString(condTeacher.resolve("config.json"))).contains("\"guidanceInput\" : false").doesNotContain("guidanceRange");

        CliRunner.Result s = CliRunner.run("sample", "--checkpoint", out.toString(), "--class", "square", "--guidance", "2.5", "--num", "2",
                "--out", dir.resolve("guided.npy").toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).as("one pass per step at any scale of its range").contains("guidance 2.5)")
                .contains("ddim with 2 steps (2 network evaluations each)");
        try (dev.diffusion4j.api.DiffusionModel model = dev.diffusion4j.api.DiffusionModel.open(new dev.diffusion4j.api.ModelSource(out))) {
            assertThat(model.info().takesGuidance()).isTrue();
            assertThat(model.info().guidanceRange()).containsExactly(1.0, 3.0);
            dev.diffusion4j.api.SampleRequest at2 = dev.diffusion4j.api.SampleRequest.builder().count(2).label("square").guidance(2).build();
            assertThat(model.networkEvaluations(at2)).isEqualTo(2);
        }
        try (dev.diffusion4j.api.DiffusionModel model = dev.diffusion4j.api.DiffusionModel.open(new dev.diffusion4j.api.ModelSource(condTeacher))) {
            assertThat(model.info().takesGuidance()).isFalse();
        }
        CliRunner.Result teacherCost = CliRunner.run("sample", "--checkpoint", condTeacher.toString(), "--class", "square", "--guidance", "2.5",
                "--num", "2", "--sampler", "ddim", "--steps", "2", "--out", dir.resolve("teacher.npy").toString());
        assertThat(teacherCost.out()).as("classifier-free guidance costs two").contains("ddim with 2 steps (4 network evaluations each)");

        CliRunner.Result refused = CliRunner.run("sample", "--checkpoint", out.toString(), "--class", "square", "--guidance", "4", "--out",
                dir.resolve("no.npy").toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err().strip()).doesNotContain("\n").contains("is distilled for guidance 1 to 3, not 4");
        assertThat(dir.resolve("no.npy")).doesNotExist();

        Path kept = dir.resolve("guidance-only");
        CliRunner.Result one = CliRunner.run("distill", "--teacher", condTeacher.toString(), "--steps-from", "4", "--steps-to", "4",
                "--round-steps", "2", "--batch", "4", "--guidance-range", "0,2", "--out", kept.toString(), "--no-tensorboard");
        assertThat(one.code()).as(one.err() + one.out()).isZero();
        assertThat(one.out()).contains("round 1: 4 → 4 steps, guided").doesNotContain("round 2");
        assertThat(Files.readString(kept.resolve("steps-4/checkpoints/step-000000002/config.json"))).contains("\"teacherSteps\" : 4");
        CliRunner.Result four = CliRunner.run("sample", "--checkpoint", kept.toString(), "--class", "circle", "--num", "2", "--out",
                dir.resolve("kept.npy").toString());
        assertThat(four.code()).as(four.err()).isZero();
        assertThat(four.out()).contains("guidance 1.5)").contains("ddim with 4 steps (4 network evaluations each)");
        CliRunner.Result unguided = CliRunner.run("distill", "--teacher", condTeacher.toString(), "--steps-from", "4", "--steps-to", "4",
                "--out", dir.resolve("same").toString());
        assertThat(unguided.code()).isEqualTo(2);
        assertThat(unguided.err()).contains("or equal to it with a guidance range");

        CliRunner.Result noRange = CliRunner.run("distill", "--resume", out.toString(), "--guidance-range", "0,2");
        assertThat(noRange.code()).isEqualTo(2);
        assertThat(noRange.err()).contains("--resume keeps the plan's");
    }

    @Test
    void aPlanThatIsNotAHalvingIsRefusedInOneLine() {
        CliRunner.Result r = CliRunner.run("distill", "--teacher", teacher.toString(), "--steps-from", "12", "--steps-to", "4", "--out",
                dir.resolve("bad").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("steps-from must be steps-to times a power of two, got 12 and 4");
    }
}

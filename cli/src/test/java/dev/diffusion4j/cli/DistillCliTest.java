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
        assertThat(s.out()).contains("ddim with 2 model evaluations");
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
    void aPlanThatIsNotAHalvingIsRefusedInOneLine() {
        CliRunner.Result r = CliRunner.run("distill", "--teacher", teacher.toString(), "--steps-from", "12", "--steps-to", "4", "--out",
                dir.resolve("bad").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("steps-from must be steps-to times a power of two, got 12 and 4");
    }
}

package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.testing.BuiltinModels;
import dev.diffusion4j.testing.Skips;
import dev.diffusion4j.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model packed into the jar: sampling without a checkpoint, by class, and names that are not there. */
class BuiltinModelTest {
    @Test
    void samplesWithoutACheckpointAndByClass(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Path png = dir.resolve("digits.png");
            CliRunner.Result r = CliRunner.run("sample", "--num", "4", "--steps", "4", "--out", png.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).as("--steps 4 is not the 4-step model's own sampler, so the full model draws")
                    .contains("from builtin:mnist (step").contains("all classes in turn");
            assertThat(ImageIO.read(png.toFile())).isNotNull();
            Path sevens = dir.resolve("sevens.npy");
            CliRunner.Result s = CliRunner.run("sample", "--checkpoint", "builtin:mnist", "--class", "7", "--num", "2", "--steps", "4",
                    "--out", sevens.toString());
            assertThat(s.code()).as(s.err()).isZero();
            assertThat(s.out()).contains("2 each of 7");
            assertThat(Files.size(sevens)).isEqualTo(128 + 2 * 28 * 28);
            // every report names a built-in model by its name and step, not by the cache directory it was copied to
            CliRunner.Result nll = CliRunner.run("eval", "nll", "--checkpoint", "builtin:mnist", "--data", "embedded", "--split", "train",
                    "--num", "2", "--timesteps", "2");
            assertThat(nll.code()).as(nll.err()).isZero();
            assertThat(nll.out()).containsPattern("NLL bound \\(builtin:mnist \\(step \\d+\\),").doesNotContain(dir.resolve("cache").toString());
            CliRunner.Result noEma = CliRunner.run("sample", "--no-ema", "--num", "1", "--out", dir.resolve("x.png").toString());
            assertThat(noEma.code()).isEqualTo(2);
            assertThat(noEma.err()).contains("a built-in model ships only its EMA weights");
        });
    }

    @Test
    void withoutACheckpointTheFourStepModelDrawsWhatItCanAndTheFullModelTheRest(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent()
                && BuiltinModels.class.getResource("/dev/diffusion4j/models/mnist-fast-guided/ema.safetensors") != null,
                "models/mnist or models/mnist-fast-guided is not in this build");
        BuiltinModels.withCache(dir, () -> {
            CliRunner.Result plain = CliRunner.run("sample", "--num", "2", "--out", dir.resolve("a.png").toString());
            assertThat(plain.code()).as(plain.err()).isZero();
            assertThat(plain.out()).contains("guidance 1.5)").contains("ddim with 4 steps (4 network evaluations each)")
                    .contains("from builtin:mnist-fast-guided (step");
            CliRunner.Result scaled = CliRunner.run("sample", "--class", "3", "--guidance", "3", "--num", "2", "--out", dir.resolve("b.png").toString());
            assertThat(scaled.code()).as(scaled.err()).isZero();
            assertThat(scaled.out()).contains("from builtin:mnist-fast-guided (step");
            CliRunner.Result unconditional = CliRunner.run("sample", "--guidance", "0", "--num", "2", "--out", dir.resolve("c.png").toString());
            assertThat(unconditional.code()).as(unconditional.err()).isZero();
            assertThat(unconditional.out()).as("guidance 0 is outside the 4-step model's range").contains("from builtin:mnist (step");
            CliRunner.Result sampler = CliRunner.run("sample", "--sampler", "sde-dpm-solver++", "--steps", "2", "--num", "2",
                    "--out", dir.resolve("d.png").toString());
            assertThat(sampler.code()).as(sampler.err()).isZero();
            assertThat(sampler.out()).contains("sde-dpm-solver++ with 2 steps").contains("from builtin:mnist (step");
            CliRunner.Result bad = CliRunner.run("sample", "--guidance", "-1", "--num", "2", "--out", dir.resolve("e.png").toString());
            assertThat(bad.code()).as("a scale no model takes is still a usage error").isEqualTo(2);
            assertThat(dir.resolve("e.png")).doesNotExist();
        });
    }

    @Test
    void aBuiltinModelsFilesAreNamedByItsNameNotByTheCache(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Checkpoint builtin = Checkpoint.open(Path.of("builtin:mnist"));
            assertThat(builtin.name()).matches("builtin:mnist \\(step \\d+\\)");
            assertThat(builtin.where("ema.safetensors")).isEqualTo("builtin:mnist/ema.safetensors");
            assertThat(builtin.dir()).startsWith(dir.resolve("cache"));
        });
    }

    @Test
    void theSmallBuiltInModelSamplesToo(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.class.getResource("/dev/diffusion4j/models/mnist-w16/ema.safetensors") != null,
                "models/mnist-w16 is not in this build");
        BuiltinModels.withCache(dir, () -> {
            CliRunner.Result r = CliRunner.run("sample", "--checkpoint", "builtin:mnist-w16", "--class", "3", "--num", "2", "--steps", "4",
                    "--out", dir.resolve("threes.png").toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("from builtin:mnist-w16 (step 14000)");
            assertThat(Checkpoint.open(Path.of("builtin:mnist-w16")).config().model().baseChannels()).isEqualTo(16);
        });
    }

    @Test
    void theDistilledBuiltInModelSamplesInItsFourStepsAndRefusesOthers(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.class.getResource("/dev/diffusion4j/models/mnist-fast/ema.safetensors") != null,
                "models/mnist-fast is not in this build");
        BuiltinModels.withCache(dir, () -> {
            CliRunner.Result r = CliRunner.run("sample", "--checkpoint", "builtin:mnist-fast", "--class", "3", "--num", "2", "--out",
                    dir.resolve("threes.png").toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("ddim with 4 steps (8 network evaluations each)").contains("from builtin:mnist-fast");
            CliRunner.Result refused = CliRunner.run("sample", "--checkpoint", "builtin:mnist-fast", "--steps", "20", "--out",
                    dir.resolve("no.png").toString());
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("is distilled for ddim with 4 steps on the trailing grid").contains("(20 is 5x its 4)");
        });
    }

    @Test
    void theGuidedDistilledBuiltInModelTakesTheScaleInOnePassPerStep(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.class.getResource("/dev/diffusion4j/models/mnist-fast-guided/ema.safetensors") != null,
                "models/mnist-fast-guided is not in this build");
        BuiltinModels.withCache(dir, () -> {
            CliRunner.Result r = CliRunner.run("sample", "--checkpoint", "builtin:mnist-fast-guided", "--class", "3", "--num", "2",
                    "--guidance", "2", "--out", dir.resolve("threes.png").toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("guidance 2)").contains("ddim with 4 steps (4 network evaluations each)")
                    .contains("from builtin:mnist-fast-guided");
            CliRunner.Result refused = CliRunner.run("sample", "--checkpoint", "builtin:mnist-fast-guided", "--class", "3", "--guidance", "5",
                    "--out", dir.resolve("no.png").toString());
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("is distilled for guidance 1 to 3, not 5");
        });
    }

    @Test
    void theBuiltInSpokenDigitModelWritesWavsOfTheAskedDigit(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.class.getResource("/dev/diffusion4j/models/fsdd/ema.safetensors") != null,
                "models/fsdd is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Path out = dir.resolve("threes");
            CliRunner.Result r = CliRunner.run("sample", "--checkpoint", "builtin:fsdd", "--class", "3", "--num", "4", "--out", out.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("from builtin:fsdd").as("its own default guidance, models/fsdd/config.json's")
                    .contains("4 each of three, guidance 1.75)");
            for (int i = 0; i < 4; i++) {
                dev.diffusion4j.data.Wav w = dev.diffusion4j.data.Wav.read(out.resolve(String.format("sample-%05d-three.wav", i)));
                assertThat(w.sampleRate()).isEqualTo(8000);
                assertThat(w.samples()).as("64 frames at hop 128").hasSize(8064);
            }
            assertThat(out.resolve("sample-00000-three.png")).isRegularFile();
        });
    }

    @Test
    void anUnknownBuiltinIsOneLineAndExitTwo(@TempDir Path dir) {
        CliRunner.Result r = CliRunner.run("sample", "--checkpoint", "builtin:cifar", "--out", dir.resolve("x.png").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("diffusion4j: error: builtin:cifar: no such built-in model in this build");
    }
}

package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.data.Wav;
import dev.diffusion4j.eval.PocketSphinx;
import dev.diffusion4j.testing.Skips;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval intelligibility} through the command line: real clips, a stage of the way back, generated clips, bad input. */
class IntelligibilityCliTest {
    static final Path FSDD = Path.of("../shared/data/fsdd/recordings");

    @Test
    void scoresRealClipsAndTheirRoundTripAndClipsNamedAsSampleWritesThem(@TempDir Path dir) throws Exception {
        Skips.unless(PocketSphinx.missing().isEmpty(), PocketSphinx.missing().orElse(""));
        Skips.unless(Files.isDirectory(FSDD), "no Free Spoken Digit Dataset at " + FSDD.toAbsolutePath().normalize());
        Path config = Files.writeString(dir.resolve("linear.yaml"), "audio: {frequency: LINEAR, nFft: 256, hop: 128, window: 256, frames: 64}\n");
        // the test split in sorted order starts with the clips of "zero": 8 of them
        CliRunner.Result r = CliRunner.run("eval", "intelligibility", "--data", "wav:" + FSDD, "--config", config.toString(), "--limit", "8",
                "--out", dir.resolve("heard").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("8 clips of wav:" + FSDD + " (test split)").contains("PocketSphinx");
        String original = r.out().lines().filter(l -> l.startsWith("original ")).findFirst().orElseThrow();
        String roundTrip = r.out().lines().filter(l -> l.startsWith("linear.yaml ")).findFirst().orElseThrow();
        assertThat(original).contains("1.000").contains("0/0");
        assertThat(roundTrip).contains("128 linear bins x 64 frames");
        assertThat(dir.resolve("heard/01-linear.yaml")).isDirectory();
        Path heard = dir.resolve("heard/01-linear.yaml/0_george_0.wav");
        assertThat(Wav.read(heard).samples()).as("the round trip is the 8,064 samples (1.008 s) of the model's 64 frames").hasSize(8064);

        // the same clips named as sample writes a class-conditional model's, as --samples reads them
        Path samples = Files.createDirectories(dir.resolve("samples"));
        Files.copy(FSDD.resolve("0_george_0.wav"), samples.resolve("sample-00000-zero.wav"));
        Files.copy(FSDD.resolve("1_george_0.wav"), samples.resolve("sample-00001-one.wav"));
        CliRunner.Result s = CliRunner.run("eval", "intelligibility", "--samples", samples.toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).contains("2 clips of " + samples).contains("the clips as they are");
    }

    @Test
    void aSampleWithoutAClassInItsNameIsOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        Path samples = Files.createDirectories(dir.resolve("samples"));
        new Wav(new float[800], 8000).write(samples.resolve("sample-00000.wav"));
        CliRunner.Result r = CliRunner.run("eval", "intelligibility", "--samples", samples.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).contains("sample-00000.wav: no class in its name").doesNotContain("\n");
    }
}

package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.train.RunLock;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping, killing, two writers, and outputs or inputs that are not what they seem. */
class ReliabilityTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void data() throws IOException {
        Path images = TestData.dots(dir.resolve("images"), 16);
        Files.writeString(dir.resolve("tiny.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4, dropout: 0.1}",
                "diffusion: {timesteps: 50}",
                "training: {steps: 240, batchSize: 4, warmupSteps: 5, seed: 3}",
                "output: {logEvery: 10, sampleEvery: 0, checkpointEvery: 7, keepCheckpoints: 2, samples: 2, sampleSteps: 2}",
                ""));
    }

    /** The command line in a child JVM, started in {@code cwd}. */
    private static Process child(Path cwd, Path log, String... args) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
                "dev.diffusion4j.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static byte[][] finalWeights(Path run) throws IOException {
        Path ckpt = run.resolve("checkpoints/step-000000240");
        return new byte[][] {Files.readAllBytes(ckpt.resolve("model.safetensors")), Files.readAllBytes(ckpt.resolve("ema.safetensors")),
                Files.readAllBytes(ckpt.resolve("optimizer.safetensors"))};
    }

    @Test
    void tenKillsAtRandomMomentsThenAResumeGiveTheUninterruptedWeights() throws Exception {
        Path work = Files.createDirectories(dir.resolve("cwd"));
        Path reference = dir.resolve("reference");
        Process p = child(work, dir.resolve("reference.log"), "train", "--config", dir.resolve("tiny.yaml").toString(), "--out",
                reference.toString());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("reference.log"))).isZero();

        Path run = dir.resolve("killed");
        SplittableRandom rnd = new SplittableRandom(20261129);
        int terms = 0;
        int kills = 0;
        int checkpointedStops = 0;
        long lastStep = dev.diffusion4j.train.Checkpoint.open(reference).state().step();
        for (int attempt = 0; attempt < 10; attempt++) {
            if (finished(run, lastStep)) {
                break; // on a fast machine the run may end between two kills: resuming a finished run is refused, as it should be
            }
            boolean fresh = !Files.isDirectory(run.resolve("checkpoints")) || dev.diffusion4j.train.Checkpoint.list(run).isEmpty();
            Path log = dir.resolve("attempt-" + attempt + ".log");
            Process c = fresh ? child(work, log, "train", "--config", dir.resolve("tiny.yaml").toString(), "--out", run.toString())
                    : child(work, log, "train", "--resume", run.toString());
            Thread.sleep(1500 + rnd.nextInt(4000));
            boolean term = rnd.nextBoolean();
            if (term) {
                c.destroy(); // SIGTERM
                terms++;
            } else {
                c.destroyForcibly(); // SIGKILL
                kills++;
            }
            assertThat(c.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(log);
            if (term && c.exitValue() == 143) {
                if (out.contains("resume with")) {
                    checkpointedStops++;
                    // stopped inside the training loop: a checkpoint of the last finished step, and how to go on
                    assertThat(out).contains("diffusion4j: SIGTERM: stopped; checkpoint at step").contains("--resume " + run);
                }
            } else if (term) {
                assertThat(c.exitValue()).as(out).isIn(0, 143);
            }
            assertThat(out).doesNotContain("SIGSEGV").doesNotContain("fatal error");
        }
        Path log = dir.resolve("final.log");
        if (!finished(run, lastStep)) {
            Process last = dev.diffusion4j.train.Checkpoint.list(run).isEmpty()
                    ? child(work, log, "train", "--config", dir.resolve("tiny.yaml").toString(), "--out", run.toString())
                    : child(work, log, "train", "--resume", run.toString());
            assertThat(last.waitFor(300, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(log);
            assertThat(last.exitValue()).as(out).isZero();
        }
        System.out.printf("fault injection: %d SIGTERM (%d inside the training loop, each with a checkpoint of its step), %d SIGKILL, "
                + "then a resume%n", terms, checkpointedStops, kills);
        byte[][] want = finalWeights(reference);
        byte[][] got = finalWeights(run);
        for (int i = 0; i < 3; i++) {
            assertThat(got[i]).as("file %d of the final checkpoint", i).isEqualTo(want[i]);
        }
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            assertThat(s.map(q -> q.getFileName().toString()).toList()).as("no temporary or incomplete directories")
                    .allMatch(n -> n.matches("step-\\d{9}")).allMatch(n -> Files.isRegularFile(run.resolve("checkpoints").resolve(n).resolve("state.json")));
        }
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.map(q -> q.getFileName().toString()).filter(n -> n.startsWith("hs_err")).toList()).isEmpty();
        }
    }

    @Test
    void aSecondWriterOnTheSameRunIsRefusedNamingTheHolder() throws Exception {
        Path run = dir.resolve("locked");
        try (RunLock held = RunLock.acquire(run)) {
            CliRunner.Result r = CliRunner.run("train", "--config", dir.resolve("tiny.yaml").toString(), "--steps", "2", "--out", run.toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("diffusion4j: error: " + run + " is in use by another diffusion4j process (PID "
                    + ProcessHandle.current().pid() + "); wait for it to end or choose another --out");
        }
        CliRunner.Result ok = CliRunner.run("train", "--config", dir.resolve("tiny.yaml").toString(), "--steps", "2", "--out", run.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        try (RunLock held = RunLock.acquire(run)) {
            CliRunner.Result r = CliRunner.run("train", "--resume", run.toString(), "--steps", "4");
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("is in use by another diffusion4j process");
        }
    }

    @Test
    void leftoversOfAKilledRunAreRemovedAndNeverTakenForACheckpoint() throws Exception {
        Path run = dir.resolve("leftovers");
        assertThat(CliRunner.run("train", "--config", dir.resolve("tiny.yaml").toString(), "--steps", "7", "--out", run.toString()).code())
                .isZero();
        Path tmp = Files.createDirectories(run.resolve("checkpoints/.tmp-step-000000014-1234"));
        Files.writeString(tmp.resolve("model.safetensors"), "half");
        Path incomplete = Files.createDirectories(run.resolve("checkpoints/step-000000014"));
        Files.writeString(incomplete.resolve("model.safetensors"), "half");
        assertThat(dev.diffusion4j.train.Checkpoint.open(run).state().step()).isEqualTo(7);
        CliRunner.Result r = CliRunner.run("train", "--resume", run.toString(), "--steps", "8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("removed what an interrupted run left in").contains(".tmp-step-000000014-1234").contains("step-000000014");
        assertThat(tmp).doesNotExist();
        assertThat(incomplete).doesNotExist();
    }

    @Test
    void outputsThatAreNotRegularFilesAreNeverReplaced() throws Exception {
        Path fifo = dir.resolve("pipe.csv");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        dev.diffusion4j.testing.Skips.unless(mk.waitFor() == 0, "mkfifo is not available here");
        CliRunner.Result r = CliRunner.run("schedule", "--out", fifo.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("diffusion4j: error: " + fifo
                + ": exists and is not a regular file (a device, FIFO or socket); refusing to replace it");
        Path png = dir.resolve("pipe.png");
        new ProcessBuilder("mkfifo", png.toString()).start().waitFor();
        assertThat(CliRunner.run("sample", "--checkpoint", dir.resolve("none").toString(), "--out", png.toString()).code()).isEqualTo(2);
        assertThat(Files.isRegularFile(fifo)).isFalse();
        assertThat(Files.isRegularFile(png)).isFalse();
        assertThat(Files.exists(fifo)).isTrue();
        // and the library's own atomic writer refuses too
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.diffusion4j.io.AtomicFiles.write(fifo, o -> o.write(1)))
                .hasMessageContaining("is not a regular file");
    }

    @Test
    void configurationsThatAreNotWhatTheySeemAreOneLineErrors() throws Exception {
        Path frac = dir.resolve("frac.yaml");
        Files.writeString(frac, "training: {batchSize: 8.7}\n");
        CliRunner.Result a = CliRunner.run("train", "--config", frac.toString(), "--out", dir.resolve("f").toString());
        assertThat(a.code()).isEqualTo(2);
        assertThat(a.err()).contains("bad configuration value").contains("8.7");
        Path big = dir.resolve("big.yaml");
        Files.writeString(big, "data: \"" + "x".repeat(2 << 20) + "\"\n");
        CliRunner.Result b = CliRunner.run("train", "--config", big.toString(), "--out", dir.resolve("b").toString());
        assertThat(b.code()).isEqualTo(2);
        assertThat(b.err().strip()).isEqualTo("diffusion4j: error: " + big + ": " + Files.size(big)
                + " bytes is over the 1048576-byte limit for a configuration file");
        Path longValue = dir.resolve("long.yaml");
        Files.writeString(longValue, "data: \"" + "y".repeat(900_000) + "\"\n");
        CliRunner.Result c = CliRunner.run("train", "--config", longValue.toString(), "--out", dir.resolve("c").toString());
        assertThat(c.code()).isEqualTo(2);
        assertThat(c.err().length()).as("the echoed value is cut").isLessThan(400);
        assertThat(c.err()).contains("yyyyyyyy…");
    }

    @Test
    void aPngWithAWrongChunkCrcIsRefusedNamingIt() throws Exception {
        Path images = Files.createDirectories(dir.resolve("crc"));
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setSample(i, i, 0, 200);
            ImageIO.write(img, "png", images.resolve("ok" + i + ".png").toFile());
        }
        Path bad = images.resolve("ok1.png");
        byte[] b = Files.readAllBytes(bad);
        int idat = new String(b, StandardCharsets.ISO_8859_1).indexOf("IDAT");
        b[idat + 6] ^= 0x01; // one bit of the compressed pixels: the chunk's CRC no longer matches
        Files.write(bad, b);
        CliRunner.Result r = CliRunner.run("train", "--data", "images:" + images, "--steps", "1", "--out", dir.resolve("crc-run").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("diffusion4j: error: " + bad + ": PNG chunk IDAT at byte").contains("has a wrong CRC");
        assertThat(dir.resolve("crc-run")).doesNotExist();
    }

    @Test
    void aSampleDirectoryThatCannotBeMadeFailsBeforeAnySampling() {
        Path out = dir.resolve("no/such/parent/samples");
        long start = System.nanoTime();
        CliRunner.Result r = CliRunner.run("sample", "--checkpoint", dir.resolve("reference").toString(), "--num", "2", "--out", out.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(out + ": cannot be created");
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(5);
    }

    /** Whether the run's newest checkpoint is its last step. */
    private static boolean finished(Path run, long lastStep) throws java.io.IOException {
        return Files.isDirectory(run.resolve("checkpoints")) && !dev.diffusion4j.train.Checkpoint.list(run).isEmpty()
                && dev.diffusion4j.train.Checkpoint.open(run).state().step() == lastStep;
    }
}

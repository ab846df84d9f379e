package dev.diffusion4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SampleJob against {@code diffusion4j sample} on one machine: the same bytes and labels, however the indices are cut. */
class SampleJobTest {
    /** The smaller built-in model, with few steps: the comparison is of bytes, not of quality. */
    static final String MODEL = "builtin:mnist-w16";
    static final int STEPS = 4;
    static final int PER = 28 * 28;

    /** The file {@code sample --out X.npy} writes for these options. */
    static byte[] sampleNpy(Path file, Object... options) throws Exception {
        List<Object> args = new ArrayList<>(List.of("sample", "--checkpoint", MODEL, "--steps", STEPS, "--out", file));
        args.addAll(Arrays.asList(options));
        SparkTests.Run r = SparkTests.cli(args.toArray());
        assertThat(r.code()).as(r.err()).isZero();
        return Files.readAllBytes(file);
    }

    @Test
    void drawsTheBytesOfSampleForOneThreeAndSevenPartitions(@TempDir Path dir) throws Exception {
        byte[] single = sampleNpy(dir.resolve("one-machine.npy"), "--num", 64, "--seed", 7);
        byte[] pixels = Arrays.copyOfRange(single, single.length - 64 * PER, single.length);
        for (int p : new int[] {1, 3, 7}) {
            Path out = dir.resolve("p" + p);
            SampleJob[] job = new SampleJob[1];
            SparkTests.Run r = SparkTests.sampleJob(job, "--checkpoint", MODEL, "--steps", STEPS, "--num", 64, "--seed", 7, "--out", out,
                    "--partitions", p);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("64 samples in " + p + " shards (" + p + " drawn now, 0 already complete)");
            assertThat(job[0].result()).isEqualTo(new SampleJob.Result(64, p, p, 0));

            Shards.Index index = Shards.readIndex(out);
            assertThat(index.ranges()).hasSize(p);
            assertThat(index.ranges().stream().mapToInt(Shards.Range::count).sum()).isEqualTo(64);
            assertThat(SparkTests.joinedPixels(out)).as("%d partitions: sample's bytes", p).isEqualTo(pixels);
            assertThat(SparkTests.joinedLabels(out)).as("all classes in turn").isEqualTo(IntStream.range(0, 64).mapToObj(i -> (long) (i % 10)).toList());
            List<String> expected = new ArrayList<>(List.of("index.json", "request.json"));
            for (Shards.Range range : index.ranges()) {
                expected.add(range.stem() + ".labels.npy");
                expected.add(range.stem() + ".npy");
            }
            assertThat(SparkTests.names(out)).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThat(Files.readAllBytes(dir.resolve("p1/shard-00000000-00000064.npy"))).as("one shard is the very file sample writes")
                .isEqualTo(single);
        assertThat(Files.readString(dir.resolve("p3/index.json"))).contains("\"from\" : 21", "\"to\" : 42", "\"count\" : 64", "\"seed\" : 7",
                "\"sampler\" : \"dpm-solver++\"", "\"steps\" : " + STEPS, "\"classes\" : \"in turn\"", "\"guidance\" : 1.5");
    }

    @Test
    void drawsTheClassesSampleDrawsForClass(@TempDir Path dir) throws Exception {
        byte[] single = sampleNpy(dir.resolve("one-machine.npy"), "--class", "3,7", "--num", 5, "--guidance", 2, "--seed", 2);
        SparkTests.Run r = SparkTests.sampleJob(null, "--checkpoint", MODEL, "--steps", STEPS, "--class", "3,7", "--num", 5, "--guidance", 2,
                "--seed", 2, "--out", dir.resolve("s"), "--partitions", 3, "--batch", 2);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("10 samples in 3 shards");
        assertThat(SparkTests.joinedPixels(dir.resolve("s"))).isEqualTo(Arrays.copyOfRange(single, single.length - 10 * PER, single.length));
        assertThat(SparkTests.joinedLabels(dir.resolve("s"))).containsExactly(3L, 3L, 3L, 3L, 3L, 7L, 7L, 7L, 7L, 7L);
        assertThat(Npy.shape(dir.resolve("s/shard-00000006-00000010.npy"))).containsExactly(4, 1, 28, 28);
    }

    @Test
    void badInputIsOneLineAndExitCodeTwo(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Object[][] cases = {
            {"SampleJob: error: Missing required option: '--seed=S'", "--checkpoint", MODEL, "--num", 4, "--out", dir.resolve("o")},
            {"SampleJob: error: --num, --batch and --partitions must be at least 1", "--checkpoint", MODEL, "--num", 0, "--seed", 1, "--out",
                dir.resolve("o")},
            {"SampleJob: error: " + dir.resolve("none"), "--checkpoint", dir.resolve("none"), "--num", 4, "--seed", 1, "--out", dir.resolve("o")},
            {"SampleJob: error: --class eleven: not a class of this model (0..9", "--checkpoint", MODEL, "--class", "eleven", "--num", 4,
                "--seed", 1, "--out", dir.resolve("o")},
            {"SampleJob: error: " + file + ": not a directory", "--checkpoint", MODEL, "--num", 4, "--seed", 1, "--out", file},
            {"SampleJob: error: Invalid value for option '--sampler': unknown sampler 'euler'", "--checkpoint", MODEL, "--sampler", "euler", "--num", 4, "--seed", 1, "--out", dir.resolve("o")},
        };
        for (Object[] c : cases) {
            SparkTests.Run r = SparkTests.sampleJob(null, Arrays.copyOfRange(c, 1, c.length));
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as("one line").doesNotContain("\n").startsWith((String) c[0]);
            assertThat(r.out()).isEmpty();
        }
        assertThat(Files.exists(dir.resolve("o"))).as("nothing written for bad input").isFalse();
    }
}

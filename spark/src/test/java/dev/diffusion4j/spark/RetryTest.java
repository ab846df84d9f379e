package dev.diffusion4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tasks that fail once and are tried again ({@code local[2,4]} allows four tries), and reruns: the directory ends with
 * exactly the samples asked for, each once, and complete shards are never drawn again.
 */
class RetryTest {
    @Test
    void aTaskThatFailsOnceLeavesExactlyTheSamplesAskedForAndARerunKeepsCompleteShards(@TempDir Path dir) throws Exception {
        byte[] single = SampleJobTest.sampleNpy(dir.resolve("one-machine.npy"), "--num", 24, "--seed", 5);
        byte[] pixels = Arrays.copyOfRange(single, single.length - 24 * SampleJobTest.PER, single.length);
        Path out = dir.resolve("s");
        Object[] args = {"--checkpoint", SampleJobTest.MODEL, "--steps", SampleJobTest.STEPS, "--num", 24, "--seed", 5, "--out", out,
            "--partitions", 3};

        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        SampleJob.hook = (stage, range, attempt) -> {
            seen.add(range.from() + " " + stage + " " + attempt);
            // samples 8..15: the first try dies between its two files, leaving the labels alone
            if (range.from() == 8 && stage == SampleJob.Stage.LABELS_WRITTEN && attempt == 0) {
                throw new IOException("injected failure after the labels");
            }
            // samples 16..23: the first try dies after its shard is complete, so the second finds it done
            if (range.from() == 16 && stage == SampleJob.Stage.PIXELS_WRITTEN && attempt == 0) {
                throw new IOException("injected failure after the pixels");
            }
        };
        SparkTests.Run r;
        try {
            r = SparkTests.sampleJob(null, args);
        } finally {
            SampleJob.hook = SampleJob.TaskHook.NONE;
        }
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("24 samples in 3 shards (2 drawn now, 1 already complete)");
        assertThat(seen).as("the first tries failed, the second of 8..15 drew again, that of 16..23 found its shard complete")
                .contains("8 LABELS_WRITTEN 0", "8 SAMPLED 1", "8 PIXELS_WRITTEN 1", "16 PIXELS_WRITTEN 0")
                .doesNotContain("16 SAMPLED 1", "8 PIXELS_WRITTEN 0", "0 SAMPLED 1");
        assertExactly(out, pixels);

        // a rerun draws nothing and touches no shard
        Map<String, String> before = times(out);
        SparkTests.Run again = SparkTests.sampleJob(null, args);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).startsWith("24 samples in 3 shards (0 drawn now, 3 already complete)");
        Map<String, String> after = times(out);
        for (String shard : before.keySet()) {
            if (shard.startsWith("shard-")) {
                assertThat(after.get(shard)).as(shard).isEqualTo(before.get(shard));
            }
        }
        assertExactly(out, pixels);

        // a shard lost or torn is drawn again, the others kept
        Files.delete(out.resolve("shard-00000008-00000016.npy"));
        Files.write(out.resolve("shard-00000016-00000024.labels.npy"), new byte[] {1, 2, 3});
        SparkTests.Run repair = SparkTests.sampleJob(null, args);
        assertThat(repair.out()).startsWith("24 samples in 3 shards (2 drawn now, 1 already complete)");
        assertExactly(out, pixels);

        // shards of another request are never taken for this one's
        Object[] otherSeed = args.clone();
        otherSeed[7] = 6;
        SparkTests.Run refused = SparkTests.sampleJob(null, otherSeed);
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err().strip()).isEqualTo("SampleJob: error: " + out + ": holds samples of another request (seed 5 there, 6 here); "
                + "choose another --out");
    }

    /** The directory holds the 24 samples, each once and in order, and nothing else (no temporary file). */
    private static void assertExactly(Path out, byte[] pixels) throws IOException {
        assertThat(SparkTests.names(out)).containsExactly("index.json", "request.json", "shard-00000000-00000008.labels.npy",
                "shard-00000000-00000008.npy", "shard-00000008-00000016.labels.npy", "shard-00000008-00000016.npy",
                "shard-00000016-00000024.labels.npy", "shard-00000016-00000024.npy");
        assertThat(Shards.readIndex(out).count()).isEqualTo(24);
        assertThat(SparkTests.joinedPixels(out)).isEqualTo(pixels);
        assertThat(SparkTests.joinedLabels(out)).isEqualTo(IntStream.range(0, 24).mapToObj(i -> (long) (i % 10)).toList());
    }

    /** Each file's modification time and identity (a rewrite renames a new file into place). */
    private static Map<String, String> times(Path dir) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String name : SparkTests.names(dir)) {
            BasicFileAttributes a = Files.readAttributes(dir.resolve(name), BasicFileAttributes.class);
            out.put(name, a.lastModifiedTime() + " " + a.fileKey());
        }
        return out;
    }
}

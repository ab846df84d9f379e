package dev.diffusion4j.spark;

import dev.diffusion4j.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * One Spark for every test of the module: in this process, two task threads, a failed task tried up to four times
 * ({@code local[2,4]}), no web UI, on the loopback address only.
 */
final class SparkTests {
    private static SparkSession spark;

    private SparkTests() {}

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2,4]").appName("diffusion4j-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate();
        }
        return spark;
    }

    /** A finished run: its exit code and what it printed. */
    record Run(int code, String out, String err) {}

    static Run sampleJob(SampleJob[] job, Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        SampleJob j = new SampleJob(SparkTests::spark);
        if (job != null) {
            job[0] = j;
        }
        int code = Jobs.execute(j, new PrintWriter(out), new PrintWriter(err), strings(args));
        return new Run(code, out.toString(), err.toString());
    }

    static Run fidJob(FidJob[] job, Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        FidJob j = new FidJob(SparkTests::spark);
        job[0] = j;
        int code = Jobs.execute(j, new PrintWriter(out), new PrintWriter(err), strings(args));
        return new Run(code, out.toString(), err.toString());
    }

    /** The command line on one machine ({@code diffusion4j ...}). */
    static Run cli(Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), strings(args));
        return new Run(code, out.toString(), err.toString());
    }

    private static String[] strings(Object... args) {
        String[] s = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            s[i] = String.valueOf(args[i]);
        }
        return s;
    }

    /** The names of the files in {@code dir}, sorted. */
    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The pixels of a directory's shards, in the index's order, one after the other. */
    static byte[] joinedPixels(Path dir) throws IOException {
        Shards.Index index = Shards.readIndex(dir);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (Path f : index.pixels()) {
            all.write(dev.diffusion4j.io.Npy.read(f).data());
        }
        return all.toByteArray();
    }

    /** The labels of a directory's shards, in order. */
    static List<Long> joinedLabels(Path dir) throws IOException {
        Shards.Index index = Shards.readIndex(dir);
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < index.ranges().size(); i++) {
            Path f = dir.resolve(index.ranges().get(i).stem() + ".labels.npy");
            for (long l : Shards.readLabels(f)) {
                out.add(l);
            }
        }
        return out;
    }
}

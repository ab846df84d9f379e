package dev.diffusion4j.spark;

import dev.diffusion4j.engine.Djl;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

/**
 * What the jobs share: their command lines (one-line errors, exit code 2 for bad input), the Spark entry point, where
 * an executor unpacks the natives and the built-in models, and how it finds a file shipped with the job.
 */
final class Jobs {
    /** Exit code for bad input: options, files, data. */
    static final int EXIT_USAGE = 2;
    /** Exit code for a failure that is not the user's input. */
    static final int EXIT_FAILURE = 1;

    private Jobs() {}

    /** Bad input (a file, a directory, a value), named in the message: one line, exit code 2. */
    static final class UserInputException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UserInputException(String message) {
            super(message);
        }

        UserInputException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The Spark entry point of a job, started once, on first use, so that bad options fail before Spark starts. */
    static final class SparkHandle implements Supplier<SparkSession> {
        private final String name;
        private SparkSession spark;

        /** The application's own Spark, named {@code name}, which {@link #stop()} stops: what {@code spark-submit} runs a job in. */
        SparkHandle(String name) {
            this.name = name;
        }

        @Override
        public synchronized SparkSession get() {
            if (spark == null) {
                spark = SparkSession.builder().appName(name).getOrCreate();
            }
            return spark;
        }

        /** Stops Spark if it was started. */
        synchronized void stop() {
            if (spark != null) {
                spark.stop();
            }
        }
    }

    /** Runs a job's command line and returns its exit code: 0, 1 for a failure, 2 for bad input (one line on {@code err}). */
    static int execute(Callable<Integer> job, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(job);
        String name = cl.getCommandName();
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println(name + ": error: " + oneLine(ex.getMessage()) + " (see " + name + " --help)");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof UserInputException || ex instanceof IllegalArgumentException || ex instanceof dev.diffusion4j.data.DataException
                    || ex instanceof java.io.IOException) {
                c.getErr().println(name + ": error: " + oneLine(ex.getMessage()));
                return EXIT_USAGE;
            }
            // a failed Spark job says which task failed and why on its first line; the executor's stack trace follows
            String message = ex.getMessage() == null ? String.valueOf(ex) : ex.getMessage().lines().findFirst().orElse("");
            c.getErr().println(name + ": failed: " + oneLine(message));
            if (Boolean.getBoolean("diffusion4j.debug")) {
                ex.printStackTrace(c.getErr());
            }
            return EXIT_FAILURE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Runs a job as {@code spark-submit} does: its own Spark, stopped at the end, the exit code the process's. */
    static void main(java.util.function.Function<SparkHandle, Callable<Integer>> job, String name, String[] args) {
        System.setProperty("java.awt.headless", "true");
        SparkHandle spark = new SparkHandle(name);
        int code;
        try {
            code = execute(job.apply(spark), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        } finally {
            spark.stop();
        }
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Points the natives' cache and the built-in models' copies at this application's local directory on this machine
     * (Spark's directory for the files of the application, {@link SparkFiles#getRootDirectory()}), unless the user chose
     * a directory ({@code DIFFUSION4J_CACHE_DIR} in the environment, {@code -Ddiffusion4j.cache.dir}): a home
     * directory may be read-only in a container or shared by every machine. {@code DJL_CACHE_DIR}, when set, still
     * decides where the natives go (docs/ENGINE.md). Call before the engine starts; idempotent.
     */
    static synchronized void useLocalCache() {
        String env = System.getenv(Djl.CACHE_ENV);
        String property = System.getProperty(Djl.CACHE_PROPERTY);
        if ((env == null || env.isBlank()) && (property == null || property.isBlank())) {
            Path root = Path.of(SparkFiles.getRootDirectory()).toAbsolutePath();
            System.setProperty(Djl.CACHE_PROPERTY, root.resolve("diffusion4j-cache").toString());
        }
    }

    /**
     * A file as this machine sees it: the path given when it exists here, else the file of that name that Spark shipped
     * with the application ({@code --files}, {@code --archives}), else the path given, for the error to name.
     */
    static Path local(String path) {
        Path given = Path.of(path);
        if (Files.exists(given) || given.getFileName() == null) {
            return given;
        }
        Path shipped = Path.of(SparkFiles.get(given.getFileName().toString()));
        return Files.exists(shipped) ? shipped : given;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}

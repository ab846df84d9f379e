package dev.diffusion4j.spark;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelInfo;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.data.ClassNames;
import dev.diffusion4j.sample.SamplerSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * Draws samples on a Spark cluster, the same bytes {@code diffusion4j sample} draws on one machine (docs/SPARK.md):
 * {@code spark-submit --class dev.diffusion4j.spark.SampleJob diffusion4j-spark.jar --checkpoint builtin:mnist --num
 * 50000 --seed 0 --out /shared/samples}. Indices 0..N-1 are cut into one contiguous range per partition; each task opens
 * the model once, draws its range in batches and writes its shard; shards already complete are kept; the driver writes
 * the index last.
 */
@Command(name = "SampleJob", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw samples over a Spark cluster into shards of a directory every machine sees: the same images, "
                + "byte for byte, as diffusion4j sample draws for the same options, whatever the partitioning. A rerun "
                + "keeps the shards already complete.")
public final class SampleJob implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "builtin:mnist, builtin:mnist-w16 (in the jar), or a run or checkpoint directory at the same path on every machine.")
    private String checkpoint;

    @Option(names = "--num", required = true, paramLabel = "N",
            description = "How many samples; with --class, per class (as sample --num).")
    private int num;

    @Option(names = "--class", split = ",", paramLabel = "CLASS",
            description = "For a class-conditional model: the classes to draw, by index or name (7, seven, 3,5 or all), --num of each, "
                    + "in order. Without it such a model draws all classes in turn.")
    private List<String> classTokens;

    @Option(names = "--guidance", paramLabel = "W",
            description = "Classifier-free guidance scale for a class-conditional model. Default: the model's (1.5 unless its "
                    + "configuration's sampling.guidance says otherwise).")
    private Double guidance;

    @Option(names = "--sampler", paramLabel = "KIND", converter = KindConverter.class,
            description = "ddpm, ddim, dpm-solver++ or sde-dpm-solver++. Default: dpm-solver++.")
    private SamplerSpec.Kind kind = SamplerSpec.DEFAULT_KIND;

    @Option(names = "--steps", paramLabel = "K", description = "Sampler steps (default 50 for ddim, 20 for both dpm-solver++); classifier-free guidance costs two "
            + "network evaluations per step.")
    private Integer steps;

    @Option(names = "--seed", required = true, paramLabel = "S", description = "Seed of every random draw.")
    private long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "The directory of shards, at the same path on the driver and every executor (shared storage).")
    private Path out;

    @Option(names = "--partitions", paramLabel = "P", description = "Ranges (tasks) to cut the indices into. Default: Spark's default parallelism.")
    private Integer partitions;

    @Option(names = "--batch", paramLabel = "B", description = "Images per network call. Default: ${DEFAULT-VALUE}.")
    private int batch = 64;

    @Spec
    private CommandSpec spec;

    private final Supplier<SparkSession> spark;
    private Result result;

    /** What a run did: the samples the directory holds, the shards drawn now and those that were complete already. */
    record Result(int count, int shards, int drawn, int kept) {}

    SampleJob(Supplier<SparkSession> spark) {
        this.spark = spark;
    }

    /**
     * Runs the job in its own Spark application, as {@code spark-submit} starts it.
     *
     * @param args the options, as {@code --help} lists them
     */
    public static void main(String[] args) {
        Jobs.main(SampleJob::new, "diffusion4j SampleJob", args);
    }

    /** The last run's result, for tests. */
    Result result() {
        return result;
    }

    /** The sampler names of the command line. */
    static final class KindConverter implements ITypeConverter<SamplerSpec.Kind> {
        @Override
        public SamplerSpec.Kind convert(String value) {
            try {
                return SamplerSpec.Kind.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    @Override
    public Integer call() throws IOException {
        if (num < 1 || batch < 1 || (partitions != null && partitions < 1)) {
            throw new Jobs.UserInputException("--num, --batch and --partitions must be at least 1");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new Jobs.UserInputException(out + ": not a directory");
        }
        SparkSession s = spark.get();
        Jobs.useLocalCache();
        Draw draw;
        Map<String, Object> description;
        try (DiffusionModel model = open(checkpoint)) {
            draw = plan(model.info());
            SampleRequest request = draw.request();
            model.check(request);
            description = describe(draw, model.info(), model.steps(request));
        }
        int parts = Math.min(partitions != null ? partitions : s.sparkContext().defaultParallelism(), draw.total());
        List<Shards.Range> ranges = Shards.Range.split(draw.total(), parts);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new Jobs.UserInputException(out + ": cannot create the directory (" + e.getClass().getSimpleName() + ")", e);
        }
        Shards.claim(out, description);

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(s.sparkContext());
        List<Boolean> drawn = jsc.parallelize(ranges, parts).map(new DrawShard(draw, out.toAbsolutePath().toString())).collect();

        List<Map<String, Object>> shards = new ArrayList<>();
        for (Shards.Range r : ranges) {
            Shards.Shard shard = draw.shard(out, r);
            if (!shard.complete()) {
                throw new IOException(shard.pixels() + ": not on the driver after its task succeeded; --out must be a directory the driver "
                        + "and every executor see");
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("from", r.from());
            entry.put("to", r.to());
            entry.put("pixels", shard.pixels().getFileName().toString());
            entry.put("labels", draw.labelled() ? shard.labels().getFileName().toString() : null);
            shards.add(entry);
        }
        Map<String, Object> index = new LinkedHashMap<>(description);
        index.put("shards", shards);
        Shards.writeJson(out.resolve(Shards.INDEX), index);
        int now = (int) drawn.stream().filter(b -> b).count();
        result = new Result(draw.total(), ranges.size(), now, ranges.size() - now);
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf(Locale.ROOT, "%d samples in %d shards (%d drawn now, %d already complete), %s, %s with %s steps each -> %s%n",
                draw.total(), ranges.size(), now, ranges.size() - now, description.get("model"), kind.cliName(), description.get("steps"),
                out.resolve(Shards.INDEX));
        pw.flush();
        return 0;
    }

    private static DiffusionModel open(String checkpoint) {
        try {
            return DiffusionModel.open(source(checkpoint));
        } catch (IOException e) {
            throw new Jobs.UserInputException(e.getMessage(), e);
        }
    }

    private static ModelSource source(String checkpoint) {
        return checkpoint.startsWith("builtin:") ? new ModelSource(Path.of(checkpoint)) : new ModelSource(Jobs.local(checkpoint));
    }

    /** The request, resolved as {@code sample} resolves its options: the classes and how many of each, the guidance. */
    private Draw plan(ModelInfo info) {
        SamplerSpec sampler = new SamplerSpec(kind, steps, 0);
        if (!info.conditional()) {
            if (classTokens != null || guidance != null) {
                throw new Jobs.UserInputException("--class and --guidance need a class-conditional model; " + info.name() + " has model.classes = 0");
            }
            return new Draw(checkpoint, sampler.kind().cliName(), steps, seed, 1, List.of(), num, num, batch, info.channels(), info.height(),
                    info.width(), false);
        }
        double w = guidance == null ? info.defaultGuidance() : guidance;
        if (!(w >= 0) || !Double.isFinite(w)) {
            throw new Jobs.UserInputException("--guidance must be ≥ 0, got " + w);
        }
        if (classTokens == null) {
            return new Draw(checkpoint, sampler.kind().cliName(), steps, seed, w, List.of(), num, num, batch, info.channels(), info.height(),
                    info.width(), true);
        }
        List<String> chosen = new ArrayList<>();
        for (String raw : classTokens) {
            String tok = raw.trim();
            if (tok.equalsIgnoreCase("all")) {
                for (int k = 0; k < info.classes(); k++) {
                    chosen.add(ClassNames.name(k, info.classNames()));
                }
                continue;
            }
            int label = ClassNames.indexOf(tok, info.classNames(), info.classes());
            if (label < 0) {
                throw new Jobs.UserInputException("--class " + tok + ": not a class of this model ("
                        + ClassNames.describe(info.classNames(), info.classes()) + ")");
            }
            chosen.add(ClassNames.name(label, info.classNames()));
        }
        if ((long) chosen.size() * num > Integer.MAX_VALUE) {
            throw new Jobs.UserInputException("--num " + num + " of " + chosen.size() + " classes: more samples than a run can index");
        }
        return new Draw(checkpoint, sampler.kind().cliName(), steps, seed, w, List.copyOf(chosen), num, chosen.size() * num, batch,
                info.channels(), info.height(), info.width(), true);
    }

    /** What the directory holds: request.json, and the index without its shards. */
    private static Map<String, Object> describe(Draw d, ModelInfo info, int evaluations) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", Shards.FORMAT);
        m.put("checkpoint", d.checkpoint());
        m.put("model", info.name());
        m.put("sampler", d.kind());
        m.put("steps", evaluations);
        m.put("seed", d.seed());
        m.put("guidance", d.labelled() ? d.guidance() : null);
        m.put("classes", d.labelled() ? (d.classes().isEmpty() ? "in turn" : d.classes()) : null);
        m.put("perClass", d.classes().isEmpty() ? null : d.perClass());
        m.put("count", d.total());
        m.put("shape", List.of(d.channels(), d.height(), d.width()));
        return m;
    }

    /**
     * Everything a task needs to draw its range, in plain values that travel to the executors: the checkpoint as given,
     * the sampler, the seed, the guidance, the classes (empty: all in turn) and how many of each, the shape.
     */
    record Draw(String checkpoint, String kind, Integer steps, long seed, double guidance, List<String> classes, int perClass, int total,
            int batch, int channels, int height, int width, boolean labelled) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** The request of all {@code total} samples, as {@code sample} builds it from the same options. */
        SampleRequest request() {
            List<String> labels = new ArrayList<>(classes.size() * perClass);
            for (String c : classes) {
                labels.addAll(Collections.nCopies(perClass, c));
            }
            return SampleRequest.builder().count(total).batch(batch).labels(labels).guidance(guidance)
                    .sampler(new SamplerSpec(SamplerSpec.Kind.parse(kind), steps, 0)).seed(seed).build();
        }

        Shards.Shard shard(Path dir, Shards.Range r) {
            return new Shards.Shard(dir, r, channels, height, width, labelled);
        }
    }

    /** Where a task is in its shard, for tests that make a task fail at one of these points. */
    enum Stage { SAMPLED, LABELS_WRITTEN, PIXELS_WRITTEN }

    /** Called by every task at each {@link Stage}; a test sets one that throws once to see the retry. */
    interface TaskHook {
        TaskHook NONE = (stage, range, attempt) -> {};

        void at(Stage stage, Shards.Range range, int attempt) throws IOException;
    }

    /** The hook of the tasks in this JVM (tests run Spark in-process); nothing outside tests sets it. */
    static volatile TaskHook hook = TaskHook.NONE;

    /** One task: its range's shard, drawn and written, or kept when already complete; true when drawn now. */
    static final class DrawShard implements Function<Shards.Range, Boolean> {
        private static final long serialVersionUID = 1L;
        private final Draw draw;
        private final String dir;

        DrawShard(Draw draw, String dir) {
            this.draw = draw;
            this.dir = dir;
        }

        @Override
        public Boolean call(Shards.Range range) throws IOException {
            Jobs.useLocalCache();
            Shards.Shard shard = draw.shard(Path.of(dir), range);
            if (shard.complete()) {
                return false;
            }
            TaskContext task = TaskContext.get();
            int attempt = task == null ? 0 : task.attemptNumber();
            try (DiffusionModel model = DiffusionModel.open(source(draw.checkpoint()))) {
                Samples samples = model.sample(draw.request(), range.from(), range.to());
                hook.at(Stage.SAMPLED, range, attempt);
                if (draw.labelled()) {
                    shard.writeLabels(samples.labels());
                    hook.at(Stage.LABELS_WRITTEN, range, attempt);
                }
                shard.writePixels(samples);
                hook.at(Stage.PIXELS_WRITTEN, range, attempt);
            }
            return true;
        }
    }
}

package dev.diffusion4j.spark;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.eval.Classifier;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.eval.FeatureStatistics;
import dev.diffusion4j.eval.FrechetDistance;
import dev.diffusion4j.eval.ReferenceImages;
import dev.diffusion4j.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The FID of {@code eval fid --samples}, with the features computed on a Spark cluster (docs/SPARK.md): {@code
 * spark-submit --class dev.diffusion4j.spark.FidJob diffusion4j-spark.jar --samples /shared/samples --reference
 * mnist:/shared/mnist --classifier /shared/mnist-classifier.safetensors}. Both sets of images are cut into pieces at
 * multiples of the classifier's batch, so each task makes the calls one machine makes; each piece becomes sufficient
 * statistics, and the driver adds them up and takes the Fréchet distance.
 */
@Command(name = "FidJob", mixinStandardHelpOptions = true, sortOptions = false,
        description = "FID in the features of a diffusion4j classifier, the same figure eval fid --samples gives, with the "
                + "features computed over a Spark cluster.")
public final class FidJob implements Callable<Integer> {
    @Option(names = "--samples", required = true, paramLabel = "DIR|FILE.npy",
            description = "A directory SampleJob wrote (its index.json names the shards), or an (N, C, H, W) uint8 .npy.")
    private Path samples;

    @Option(names = "--reference", required = true, paramLabel = "DATA|FILE.npy",
            description = "Real images: a data set as eval fid --data takes it (mnist:DIR, cifar10:DIR, images:DIR, embedded; "
                    + "--num random test images, as eval fid draws them), or an (N, C, H, W) uint8 .npy used whole.")
    private String reference;

    @Option(names = "--classifier", required = true, paramLabel = "FILE", description = "From eval train-classifier.")
    private String classifier;

    @Option(names = "--num", paramLabel = "N",
            description = "Test images of a data-set reference, as eval fid --num. Default: ${DEFAULT-VALUE}.")
    private int num = 10000;

    @Option(names = "--partitions", paramLabel = "P",
            description = "At most this many tasks per set of images. Default: Spark's default parallelism.")
    private Integer partitions;

    @Spec
    private CommandSpec spec;

    private final Supplier<SparkSession> spark;
    private Result result;

    /** The figure, and how many images each side had. */
    record Result(double fid, long samples, long references) {}

    FidJob(Supplier<SparkSession> spark) {
        this.spark = spark;
    }

    /**
     * Runs the job in its own Spark application, as {@code spark-submit} starts it.
     *
     * @param args the options, as {@code --help} lists them
     */
    public static void main(String[] args) {
        Jobs.main(FidJob::new, "diffusion4j FidJob", args);
    }

    /** The last run's result, for tests. */
    Result result() {
        return result;
    }

    /** Rows {@code from} to {@code to - 1} of an (N, C, H, W) uint8 {@code .npy}. */
    record Piece(String file, int from, int to) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Consecutive images of one side (0: the samples, 1: the reference): rows of files read on the executor, or bytes
     * sent from the driver (a data set the driver drew the reference from).
     */
    record Chunk(int side, List<Piece> pieces, byte[] pixels, int count) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** The statistics of one chunk, tagged with its side. */
    record Part(int side, FeatureStatistics statistics) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    @Override
    public Integer call() throws IOException {
        if (num < 2 || (partitions != null && partitions < 1)) {
            throw new Jobs.UserInputException("--num must be at least 2 and --partitions at least 1");
        }
        SparkSession s = spark.get();
        Jobs.useLocalCache();
        Djl.engine();
        int[] shape;
        AudioConfig audio;
        Path classifierFile = Jobs.local(classifier);
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = ClassifierTraining.load(classifierFile, m);
            shape = new int[] {c.channels(), c.height(), c.width()};
            audio = c.audio() == null ? AudioConfig.defaults() : c.audio();
        }
        int parts = partitions != null ? partitions : s.sparkContext().defaultParallelism();

        List<Piece> generated = samplePieces(shape);
        long generatedCount = generated.stream().mapToLong(p -> p.to() - p.from()).sum();
        List<Chunk> chunks = new ArrayList<>(cut(0, generated, parts));
        long referenceCount;
        String referenceName;
        if (reference.toLowerCase(Locale.ROOT).endsWith(".npy")) {
            Path file = Path.of(reference);
            int[] full = checkShape(file, Npy.shape(file), shape);
            chunks.addAll(cut(1, List.of(new Piece(file.toAbsolutePath().toString(), 0, full[0])), parts));
            referenceCount = full[0];
            referenceName = "reference images";
        } else {
            DataSpec data;
            try {
                data = DataSpec.parse(reference);
            } catch (IllegalArgumentException e) {
                throw new Jobs.UserInputException("--reference: " + e.getMessage(), e);
            }
            // the images eval fid compares with: the first --num of the test split in its fixed random order
            ImageDataset test = ReferenceImages.test(data, shape[1], shape[0], audio).head(num);
            chunks.addAll(inline(test, parts));
            referenceCount = test.count();
            referenceName = "test images";
        }
        if (generatedCount < 2 || referenceCount < 2) {
            throw new Jobs.UserInputException("a FID needs at least 2 images on each side; " + samples + " has " + generatedCount + ", the reference "
                    + referenceCount);
        }

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(s.sparkContext());
        List<Part> got = jsc.parallelize(chunks, chunks.size()).map(new Features(classifierFile.toAbsolutePath().toString())).collect();
        // added up on the driver in the chunks' order: the same figure on every run
        FeatureStatistics[] sides = {FeatureStatistics.empty(Classifier.FEATURES), FeatureStatistics.empty(Classifier.FEATURES)};
        for (Part p : got) {
            sides[p.side()] = sides[p.side()].plus(p.statistics());
        }
        double fid = FrechetDistance.of(sides[0].moments(), sides[1].moments());
        result = new Result(fid, sides[0].count(), sides[1].count());
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf(Locale.ROOT, "FID (diffusion4j classifier) %.3f   [%s, %d samples vs %d %s; features in %d tasks]%n", fid, samples,
                sides[0].count(), sides[1].count(), referenceName, chunks.size());
        pw.flush();
        return 0;
    }

    /** The samples as rows of files: the shards of a SampleJob directory in order, or one {@code .npy}. */
    private List<Piece> samplePieces(int[] shape) throws IOException {
        List<Piece> out = new ArrayList<>();
        if (Files.isDirectory(samples)) {
            Shards.Index index = Shards.readIndex(samples);
            for (int i = 0; i < index.pixels().size(); i++) {
                Path f = index.pixels().get(i);
                int[] s = checkShape(f, Npy.shape(f), shape);
                if (s[0] != index.ranges().get(i).count()) {
                    throw new Jobs.UserInputException(f + ": " + s[0] + " samples, its index says " + index.ranges().get(i).count());
                }
                out.add(new Piece(f.toAbsolutePath().toString(), 0, s[0]));
            }
            return out;
        }
        int[] s = checkShape(samples, Npy.shape(samples), shape);
        out.add(new Piece(samples.toAbsolutePath().toString(), 0, s[0]));
        return out;
    }

    private static int[] checkShape(Path file, int[] s, int[] classifierShape) {
        if (s[1] != classifierShape[0] || s[2] != classifierShape[1] || s[3] != classifierShape[2]) {
            throw new Jobs.UserInputException(file + ": shape " + Arrays.toString(s) + " does not match the classifier's " + classifierShape[0] + "x"
                    + classifierShape[1] + "x" + classifierShape[2]);
        }
        return s;
    }

    /**
     * Images per chunk: a multiple of the classifier's batch, so that every chunk's batches are the batches one machine
     * runs over the whole set, and no more chunks than {@code parts}.
     */
    static int chunkRows(long total, int parts) {
        long batches = (total + ClassifierTraining.FEATURE_BATCH - 1) / ClassifierTraining.FEATURE_BATCH;
        long perChunk = (batches + parts - 1) / parts;
        return (int) Math.min(Integer.MAX_VALUE / 2, Math.max(1, perChunk) * ClassifierTraining.FEATURE_BATCH);
    }

    /** The rows of {@code files}, one after the other, cut into chunks of {@link #chunkRows} rows. */
    static List<Chunk> cut(int side, List<Piece> files, int parts) {
        long total = files.stream().mapToLong(p -> p.to() - p.from()).sum();
        int rows = chunkRows(total, parts);
        List<Chunk> out = new ArrayList<>();
        List<Piece> current = new ArrayList<>();
        int inChunk = 0;
        for (Piece f : files) {
            int at = f.from();
            while (at < f.to()) {
                int take = Math.min(f.to() - at, rows - inChunk);
                current.add(new Piece(f.file(), at, at + take));
                at += take;
                inChunk += take;
                if (inChunk == rows) {
                    out.add(new Chunk(side, List.copyOf(current), null, inChunk));
                    current.clear();
                    inChunk = 0;
                }
            }
        }
        if (inChunk > 0) {
            out.add(new Chunk(side, List.copyOf(current), null, inChunk));
        }
        return out;
    }

    private static List<Chunk> inline(ImageDataset images, int parts) {
        int rows = chunkRows(images.count(), parts);
        List<Chunk> out = new ArrayList<>();
        for (int from = 0; from < images.count(); from += rows) {
            int to = Math.min(images.count(), from + rows);
            out.add(new Chunk(1, List.of(), images.slice(from, to).pixels(), to - from));
        }
        return out;
    }

    /** One task: the classifier opened once, the chunk's images read and turned into the statistics of their features. */
    static final class Features implements Function<Chunk, Part> {
        private static final long serialVersionUID = 1L;
        private final String classifier;

        Features(String classifier) {
            this.classifier = classifier;
        }

        @Override
        public Part call(Chunk chunk) throws IOException {
            Jobs.useLocalCache();
            Djl.engine();
            byte[] pixels = chunk.pixels();
            if (pixels == null) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (Piece p : chunk.pieces()) {
                    all.write(Npy.rows(Jobs.local(p.file()), p.from(), p.to()));
                }
                pixels = all.toByteArray();
            }
            try (NDManager m = NDManager.newBaseManager()) {
                ClassifierTraining.Trained c = ClassifierTraining.load(Jobs.local(classifier), m);
                ImageDataset images = new ImageDataset("chunk", chunk.count(), c.channels(), c.height(), c.width(), pixels, null);
                return new Part(chunk.side(), ClassifierTraining.statistics(c, images, ClassifierTraining.FEATURE_BATCH, m));
            }
        }
    }
}

package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.NumOption;
import dev.diffusion4j.cli.SharedOptions.SamplerOptions;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.eval.ClassEntropy;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.eval.FrechetDistance;
import dev.diffusion4j.eval.ReferenceImages;
import dev.diffusion4j.io.Npy;
import dev.diffusion4j.io.TensorBoardEvents;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.sample.Guidance;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Builtins;
import dev.diffusion4j.train.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j eval fid}: Fréchet distance in the project's own classifier features. */
@Command(name = "fid", mixinStandardHelpOptions = true,
        description = "FID in the features of a diffusion4j classifier (not Inception), with the real-vs-real floor, "
                + "the classifier's mean confidence on the samples and the entropy of their predicted classes.")
public final class FidCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    /** The run to sample from; its audio section also maps real sound to images as its training data was mapped. */
    @Mixin
    private CheckpointOption checkpoint = new CheckpointOption();

    @Option(names = "--samples", description = "An (N, C, H, W) uint8 .npy of samples made earlier, instead of --checkpoint.")
    private Path samples;

    @Option(names = "--classifier", required = true, description = "From eval train-classifier.")
    private Path classifierFile;

    @Option(names = "--data", required = true, converter = DataSpecConverter.class,
            description = "Real data, e.g. mnist:DIR (its test split is the reference).")
    private DataSpec data;

    @Mixin
    private NumOption num = new NumOption(10000);

    @Mixin
    private SamplerOptions sampler = new SamplerOptions();

    @Mixin
    private BatchOption batch = new BatchOption(64);

    @Mixin
    private SeedOption seed = new SeedOption(0);

    @Option(names = "--class-conditional",
            description = "Draw the classes in turn from a class-conditional model and also report the classifier's accuracy on "
                    + "the requested classes, once per --guidance scale.")
    private boolean classConditional;

    @Option(names = "--guidance", split = ",", paramLabel = "W", defaultValue = "1",
            description = "Guidance scales for --class-conditional, e.g. 0,1,2,3,5. Default: ${DEFAULT-VALUE}.")
    private List<Double> guidance;

    @Option(names = "--no-tensorboard", description = "Write no TensorBoard event file into the run (by default, scoring a run's "
            + "checkpoint adds its figures as scalars eval/... at the checkpoint's step, beside the training's own).")
    private boolean noTensorboard;

    /** The figures of each report, as TensorBoard scalars, and those of the last report. */
    private final Map<String, Double> scalars = new LinkedHashMap<>();
    private final Map<String, Double> lastFigures = new LinkedHashMap<>();

    /** Real images to compare with: n random test images, n others (when there are 2n), and n random training images. */
    private record References(ImageDataset test, ImageDataset otherTest, ImageDataset train) {}

    @Override
    public Integer call() throws IOException {
        if (checkpoint.given() == (samples != null)) {
            throw new UserInputException("give exactly one of --checkpoint and --samples");
        }
        if (num.num < 2 || batch.batch < 1) {
            throw new UserInputException("--num must be at least 2 and --batch at least 1");
        }
        if (classConditional && samples != null) {
            throw new UserInputException("--class-conditional samples a checkpoint; it does not apply to --samples");
        }
        Djl.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = ClassifierTraining.load(classifierFile, m);
            References refs = references(c);
            if (samples != null) {
                report(c, readSamples(c, m), refs, 0, m);
            } else if (!classConditional) {
                sampleAndReport(c, refs, null, 1, m);
            } else {
                Checkpoint ckpt = checkpoint.open();
                if (!ckpt.config().model().conditional()) {
                    throw new UserInputException("--class-conditional needs a class-conditional model; " + ckpt.name() + " has model.classes = 0");
                }
                long[] labels = new long[num.num];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = i % ckpt.config().model().classes();
                }
                for (double w : guidance) {
                    sampleAndReport(c, refs, labels, w, m);
                }
            }
        }
        if (checkpoint.given() && !noTensorboard) {
            writeEvents(checkpoint.open());
        }
        return 0;
    }

    /** The figures into the run a checkpoint belongs to (RUN/checkpoints/step-N), as a new event file; none for a built-in model. */
    private void writeEvents(Checkpoint ckpt) throws IOException {
        Path parent = ckpt.dir().getParent();
        if (ckpt.name().startsWith(Builtins.PREFIX) || parent == null || !parent.getFileName().toString().equals("checkpoints")
                || parent.getParent() == null) {
            return;
        }
        try (TensorBoardEvents tb = TensorBoardEvents.create(parent.getParent())) {
            tb.scalars(ckpt.state().step(), scalars);
            spec.commandLine().getOut().println("figures as TensorBoard scalars at step " + ckpt.state().step() + ": " + tb.file());
        }
    }

    private void sampleAndReport(ClassifierTraining.Trained c, References refs, long[] labels, double w, NDManager m) throws IOException {
        long start = System.nanoTime();
        Generated gen = sample(labels, w, m);
        report(c, gen, refs, (System.nanoTime() - start) / 1e9, m);
        String tag = "eval/" + gen.sampler() + (labels == null ? "" : "/guidance " + w) + "/";
        lastFigures.forEach((k, v) -> scalars.put(tag + k, v));
    }

    /** How sound becomes images here, {@link CheckpointOption#audioOr}. */
    private AudioConfig audio(ClassifierTraining.Trained c) {
        return checkpoint.audioOr(c.audio());
    }

    private References references(ClassifierTraining.Trained c) {
        AudioConfig audio = audio(c);
        int n = num.num;
        // subsets are drawn at random (fixed seed): files sorted by name can be sorted by class
        ImageDataset allTest = ReferenceImages.test(data, c.height(), c.channels(), audio);
        ImageDataset test = allTest.head(n);
        ImageDataset otherTest = allTest.count() >= 2 * n ? allTest.slice(n, 2 * n) : null;
        ImageDataset train = ReferenceImages.training(data, c.height(), c.channels(), audio).head(n);
        return new References(test, otherTest, train);
    }

    /** The images to score, what they are (for the report) and the sampler's label (for TensorBoard tags). */
    private record Generated(ImageDataset images, String what, String sampler) {
        Generated(ImageDataset images, String what) {
            this(images, what, "");
        }
    }

    /**
     * The class each clip was asked for, when every file is named as {@code sample} names a class-conditional model's
     * ({@code sample-NNNNN-three.wav}); null otherwise, and then no accuracy on the requested class is reported.
     */
    private static int[] askedClasses(List<Path> files) {
        int[] asked = new int[files.size()];
        for (int i = 0; i < asked.length; i++) {
            asked[i] = IntelligibilityCommand.askedClass(files.get(i), AudioDatasets.SPOKEN_DIGITS);
            if (asked[i] < 0) {
                return null;
            }
        }
        return asked;
    }

    private Generated readSamples(ClassifierTraining.Trained c, NDManager m) throws IOException {
        if (Files.isDirectory(samples)) {
            // WAV files, e.g. from sample --out DIR: analysed as the real clips are, so everything the vocoder lost counts
            AudioConfig a = audio(c);
            List<Path> files = AudioDatasets.files(samples);
            float[][] waves = new float[files.size()][];
            for (int i = 0; i < waves.length; i++) {
                waves[i] = Wav.read(files.get(i)).resample(a.sampleRate()).samples();
            }
            byte[] px = MelImages.analyse(waves, a, m);
            int[] asked = askedClasses(files);
            return new Generated(new ImageDataset(samples.toString(), waves.length, 1, a.height(), a.frames(), px, asked),
                    samples + " (" + waves.length + " WAV files, analysed again" + (asked != null ? ", classes from their names" : "") + ")");
        }
        Npy.Uint8 a = Npy.read(samples);
        if (a.shape()[1] != c.channels() || a.shape()[2] != c.height() || a.shape()[3] != c.width()) {
            throw new UserInputException(samples + ": shape " + Arrays.toString(a.shape()) + " does not match the classifier's "
                    + c.channels() + "x" + c.height() + "x" + c.width());
        }
        return new Generated(new ImageDataset(samples.toString(), a.shape()[0], a.shape()[1], a.shape()[2], a.shape()[3], a.data(), null),
                samples.toString());
    }

    /** Samples from the checkpoint, guided towards {@code labels} with scale {@code w} (unconditional when labels is null). */
    private Generated sample(long[] labels, double guidanceScale, NDManager parent) throws IOException {
        Checkpoint ckpt = checkpoint.open();
        GaussianDiffusion d = ckpt.config().diffusion().build();
        SamplerSpec how = ckpt.config().distilled() ? sampler.spec().forDistilled(ckpt.config().distillation().steps(), ckpt.name()) : sampler.spec();
        Sampler s = how.build(d);
        int ch = ckpt.config().model().channels();
        int h = ckpt.config().model().height();
        int wd = ckpt.config().model().width();
        int n = num.num;
        byte[] px;
        try (NDManager m = parent.newSubManager()) {
            UNet network = ckpt.model(m, true);
            ParameterStore ps = new ParameterStore(m, false);
            if (labels != null) {
                ckpt.config().requireGuidance(guidanceScale, ckpt.name());
            }
            Denoiser net = labels != null ? Guidance.of(network, ps, guidanceScale) : Denoiser.of(network, ps);
            px = SamplingLoop.generate(net, s, n, batch.batch, ch, h, wd, Randomness.of(seed.seed), labels, m, null,
                    k -> Outputs.progress(spec.commandLine().getErr(), k + "/" + n + " samples"), CancelToken.NONE);
            if (ckpt.config().usesAudio()) {
                // scored from the sound: each image to a WAV signal and analysed again, as sample --out DIR would write it
                px = MelImages.throughSound(px, n, ckpt.config().audio(), Randomness.of(seed.seed).derive("phases"), m);
            }
        }
        Outputs.progressDone(spec.commandLine().getErr());
        int[] asked = labels == null ? null : Arrays.stream(labels).mapToInt(l -> (int) l).toArray();
        String what = ckpt.name() + ", " + how.describe(d) + (labels == null ? "" : String.format(Locale.ROOT, ", classes in turn, guidance %s", guidanceScale))
                + (ckpt.config().usesAudio() ? ", scored from the WAV signals" : "");
        return new Generated(new ImageDataset("samples", n, ch, h, wd, px, asked), what, how.describe(d));
    }

    private void report(ClassifierTraining.Trained c, Generated generated, References refs, double sampleSecs, NDManager m) {
        PrintWriter pw = spec.commandLine().getOut();
        ClassifierTraining.Summary gen = ClassifierTraining.summarise(c, generated.images(), ClassifierTraining.FEATURE_BATCH, m);
        ClassifierTraining.Summary real = ClassifierTraining.summarise(c, refs.test(), ClassifierTraining.FEATURE_BATCH, m);
        ClassifierTraining.Summary realTrain = ClassifierTraining.summarise(c, refs.train(), ClassifierTraining.FEATURE_BATCH, m);
        double fid = FrechetDistance.of(gen.moments(), real.moments());
        double floor = FrechetDistance.of(realTrain.moments(), real.moments());
        pw.printf(Locale.ROOT, "FID (diffusion4j %s classifier) %.3f   [%s, %d samples vs %d test images]%n", c.classes() == 10 ? "10-class" : "",
                fid, generated.what(), generated.images().count(), refs.test().count());
        pw.printf(Locale.ROOT, "real-vs-real floor (%d random train vs %d test images) %.3f%n", refs.train().count(), refs.test().count(), floor);
        lastFigures.clear();
        lastFigures.put("fid", fid);
        lastFigures.put("fid_floor_train_vs_test", floor);
        lastFigures.put("confidence", gen.confidence());
        lastFigures.put("class_entropy_bits", gen.classEntropyBits());
        if (refs.otherTest() != null) {
            // the classifier was trained on the training images, so their features sit apart from unseen ones:
            // two disjoint sets of test images give the floor for images it has not seen, as samples are
            double unseenFloor = FrechetDistance.of(ClassifierTraining.summarise(c, refs.otherTest(), ClassifierTraining.FEATURE_BATCH, m).moments(), real.moments());
            pw.printf(Locale.ROOT, "real-vs-real floor, unseen images (%d test images vs %d others) %.3f%n", num.num, num.num, unseenFloor);
            lastFigures.put("fid_floor_unseen", unseenFloor);
        }
        pw.printf(Locale.ROOT, "classifier mean confidence on samples %.4f (on test images %.4f)%n", gen.confidence(), real.confidence());
        int count = generated.images().count();
        pw.printf(Locale.ROOT, "predicted-class entropy of samples %.4f bits (max %.4f; %d evenly drawn classes average %.4f; test images %.4f),"
                + " histogram %s%n", gen.classEntropyBits(), ClassEntropy.maxBits(c.classes()), count,
                ClassEntropy.expectedUniformBits(count, c.classes()), real.classEntropyBits(), Arrays.toString(gen.histogram()));
        if (generated.images().labels() != null) {
            double accuracy = ClassifierTraining.accuracy(c, generated.images(), 500, m);
            pw.printf(Locale.ROOT, "classifier accuracy on the requested classes %.4f%n", accuracy);
            lastFigures.put("accuracy_on_requested_class", accuracy);
        }
        pw.printf(Locale.ROOT, "sampling wall time %.1f s%n", sampleSecs);
    }
}

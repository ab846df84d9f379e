package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.EditRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.NumOption;
import dev.diffusion4j.cli.SharedOptions.SamplerOptions;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.ClassNames;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.edit.Mask;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.eval.FrechetDistance;
import dev.diffusion4j.eval.ReferenceImages;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j eval edit}: how well inpainting and SDEdit do on real test images, in the classifier's terms. */
@Command(name = "edit", mixinStandardHelpOptions = true,
        description = "Inpainting (--mask) or SDEdit (--strength) of N real test images, scored by a diffusion4j classifier: "
                + "accuracy on their true classes (inpainting; with the masked input alone as the floor) or on the class edited toward "
                + "(SDEdit), FID against other test images with its floor (the unedited inputs against the same images), and time.")
public final class EditEvalCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint = new CheckpointOption();

    @Option(names = "--classifier", required = true, description = "From eval train-classifier.")
    private java.nio.file.Path classifierFile;

    @Option(names = "--data", required = true, converter = DataSpecConverter.class, description = "Real data with a test split, e.g. mnist:DIR.")
    private DataSpec data;

    @Mixin
    private NumOption num = new NumOption(1000);

    @Mixin
    private SamplerOptions sampler = new SamplerOptions();

    @Mixin
    private BatchOption batch = new BatchOption(64);

    @Mixin
    private SeedOption seed = new SeedOption(0);

    @Option(names = "--mask", paramLabel = "MASK", description = "Inpainting with this named mask (bottom-half, left-half, center, random:P, ...).")
    private String mask;

    @Mixin
    private InpaintingOptions method = new InpaintingOptions();

    @Option(names = "--strength", split = ",", paramLabel = "S", description = "SDEdit at these strengths, e.g. 0.2,0.4,0.6,0.8,1.")
    private List<Double> strengths;

    @Option(names = "--class", paramLabel = "CLASS", description = "SDEdit: the class to edit toward (required with --strength).")
    private String target;

    @Option(names = "--guidance", paramLabel = "W", description = "Guidance toward --class. Default: the model's (1.5 unless its configuration's "
            + "sampling.guidance says otherwise).")
    private Double guidance;

    @Option(names = "--true-class",
            description = "Inpainting with a class-conditional model: complete each image as its own (true) class. Default: with no class.")
    private boolean trueClass;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Also write the images (for sound, WAVs and pictures) named by their true or target class, as sample writes them: "
                    + "original/, masked/ and completed/, or one strength-S/ per strength; eval intelligibility --samples scores each.")
    private java.nio.file.Path out;

    @Option(names = "--picture", paramLabel = "FILE.png",
            description = "A picture of the first 16: the inputs, (inpainting) the masked inputs, and each result row.")
    private java.nio.file.Path picture;

    /** The rows of --picture, the first {@link #shown} images of each. */
    private final List<byte[]> rows = new java.util.ArrayList<>();

    private void row(byte[] pixels, int per) {
        rows.add(java.util.Arrays.copyOf(pixels, shown() * per));
    }

    /** Images per row of --picture: 16, or all when fewer. */
    private int shown() {
        return Math.min(16, num.num);
    }

    private void writePicture(int c, int h, int w) throws IOException {
        if (picture == null) {
            return;
        }
        int per = c * h * w;
        int n = shown();
        byte[] all = new byte[rows.size() * n * per];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, all, r * n * per, n * per);
        }
        dev.diffusion4j.io.ImageFiles.writePng(picture, dev.diffusion4j.io.ImageFiles.grid(all, rows.size() * n, c, h, w, n, 2));
    }

    @Override
    public Integer call() throws IOException {
        if (picture != null) {
            Outputs.requireWritableParent(picture);
        }
        if (out != null) {
            Outputs.requireWritableDirectory(out);
        }
        if ((trueClass || method.inferClass) && mask == null) {
            throw new UserInputException("--true-class and --infer-class are for inpainting (--mask); SDEdit edits toward --class");
        }
        if (trueClass && method.inferClass) {
            throw new UserInputException("give at most one of --true-class and --infer-class");
        }
        if ((mask == null) == (strengths == null)) {
            throw new UserInputException("give exactly one of --mask (inpainting) and --strength (SDEdit)");
        }
        if (strengths != null && target == null) {
            throw new UserInputException("--strength needs --class, the class to edit toward");
        }
        try (DiffusionModel model = EditOptions.open(checkpoint); NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = ClassifierTraining.load(classifierFile, m);
            // as eval fid draws its reference: the first N of the shuffled test set; the inputs are the next N
            AudioConfig audio = checkpoint.audioOr(c.audio());
            ImageDataset all = ReferenceImages.test(data, c.height(), c.channels(), audio);
            if (all.count() < 2 * num.num) {
                throw new UserInputException(data + ": " + all.count() + " test images, fewer than 2 x --num " + num.num);
            }
            ImageDataset reference = all.head(num.num);
            ImageDataset inputs = all.slice(num.num, 2 * num.num);
            ClassifierTraining.Summary ref = ClassifierTraining.summarise(c, reference, ClassifierTraining.FEATURE_BATCH, m);
            double floor = FrechetDistance.of(ClassifierTraining.summarise(c, inputs, ClassifierTraining.FEATURE_BATCH, m).moments(), ref.moments());
            Samples in = new Samples(inputs.pixels(), inputs.count(), inputs.channels(), inputs.height(), inputs.width(), null, List.of(),
                    model.info().audio() ? audio : null, 0);
            EditRequest.Builder b = EditRequest.builder().sampler(sampler.spec()).seed(seed.seed).batch(batch.batch);
            if (guidance != null) {
                b.guidance(guidance);
            }
            PrintWriter pw = spec.commandLine().getOut();
            int per = in.channels() * in.height() * in.width();
            row(in.pixels(), per);
            save("original", in, inputs.labels(), model);
            if (mask != null) {
                inpainting(model, c, in, inputs, b, ref, floor, m, pw);
            } else {
                sdedit(model, c, in, inputs, b, ref, floor, m, pw);
            }
            writePicture(in.channels(), in.height(), in.width());
        }
        return 0;
    }

    private void inpainting(DiffusionModel model, ClassifierTraining.Trained c, Samples in, ImageDataset inputs, EditRequest.Builder b,
            ClassifierTraining.Summary ref, double floor, NDManager m, PrintWriter pw) throws IOException {
        Mask mk;
        try {
            mk = Mask.parse(mask, in.height(), in.width(), EditOptions.framesPerSecond(in));
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
        if (trueClass) {
            if (!model.info().conditional()) {
                throw new UserInputException("--true-class: " + model.info().name() + " is not class-conditional");
            }
            b.labels(java.util.Arrays.stream(inputs.labels()).mapToObj(l -> ClassNames.name(l, model.info().classNames())).toList());
        }
        long start = System.nanoTime();
        List<String> inferred = method.inferClasses(model, in, mk, b);
        if (inferred != null) {
            int right = 0;
            for (int i = 0; i < inferred.size(); i++) {
                right += ClassNames.indexOf(inferred.get(i), model.info().classNames(), model.info().classes()) == inputs.labels()[i] ? 1 : 0;
            }
            pw.printf(Locale.ROOT, "class inferred from the known region (%d trials): the true class for %.4f, %.1f ms per image%n",
                    method.classTrials, (double) right / inferred.size(), (System.nanoTime() - start) / 1e6 / inferred.size());
            pw.flush();
        }
        EditRequest request = method.build(b);
        Samples done = model.inpaint(in, mk, request);
        double secs = (System.nanoTime() - start) / 1e9;
        ImageDataset completed = like(inputs, done.pixels(), "completed");
        int per = in.channels() * in.height() * in.width();
        row(mk.hide(in.pixels(), shown(), in.channels()), per);
        row(done.pixels(), per);
        save("completed", done, inputs.labels(), model);
        // the floor of accuracy: the input with the unknown region erased to the background (0), as the classifier sees it
        byte[] erased = inputs.pixels().clone();
        int hw = mk.keep().length;
        for (int i = 0; i < erased.length; i++) {
            if (!mk.keep()[i % hw]) {
                erased[i] = 0;
            }
        }
        save("masked", like(in, erased), inputs.labels(), model);
        String how = method.describe(sampler.kind + " " + model.steps(dev.diffusion4j.api.SampleRequest.builder().sampler(sampler.spec()).build())
                + " steps");
        pw.printf(Locale.ROOT, "inpainting %s of %d test images, %s%s, %s, seed %d%n", mask, in.count(), how,
                trueClass ? ", each as its true class" : method.inferClass ? ", each as its inferred class" : "", model.info().name(), seed.seed);
        pw.printf(Locale.ROOT, "accuracy on the true class: completed %.4f, masked input alone %.4f, original %.4f%n",
                ClassifierTraining.accuracy(c, completed, 500, m), ClassifierTraining.accuracy(c, like(inputs, erased, "erased"), 500, m),
                ClassifierTraining.accuracy(c, inputs, 500, m));
        report(c, completed, ref, floor, secs, m, pw);
    }

    private void sdedit(DiffusionModel model, ClassifierTraining.Trained c, Samples in, ImageDataset inputs, EditRequest.Builder b,
            ClassifierTraining.Summary ref, double floor, NDManager m, PrintWriter pw) throws IOException {
        int k = ClassNames.indexOf(target, model.info().classNames(), model.info().classes());
        if (!model.info().conditional() || k < 0) {
            throw new UserInputException("--class " + target + ": not a class of " + model.info().name());
        }
        b.label(ClassNames.name(k, model.info().classNames()));
        int others = 0;
        for (int l : inputs.labels()) {
            others += l == k ? 0 : 1;
        }
        pw.printf(Locale.ROOT, "SDEdit of %d test images toward %s (%d of another class), %s, %s, seed %d%n", in.count(), target, others,
                sampler.kind, model.info().name(), seed.seed);
        for (double s : strengths) {
            long start = System.nanoTime();
            Samples done = model.edit(in, b.strength(s).build());
            double secs = (System.nanoTime() - start) / 1e9;
            row(done.pixels(), in.channels() * in.height() * in.width());
            int[] toward = new int[inputs.count()];
            java.util.Arrays.fill(toward, k);
            save(String.format(Locale.ROOT, "strength-%.2f", s), done, toward, model);
            ImageDataset edited = new ImageDataset("edited", inputs.count(), inputs.channels(), inputs.height(), inputs.width(), done.pixels(),
                    toward);
            double hit = ClassifierTraining.accuracy(c, keepOthers(edited, inputs, k), 500, m);
            pw.printf(Locale.ROOT, "strength %.2f: classified as %s %.4f (of those of another class)%n", s, target, hit);
            report(c, edited, ref, floor, secs, m, pw);
        }
    }

    /** The edited images whose input was of another class than {@code k}. */
    private static ImageDataset keepOthers(ImageDataset edited, ImageDataset inputs, int k) {
        int per = edited.channels() * edited.height() * edited.width();
        int n = 0;
        for (int l : inputs.labels()) {
            n += l == k ? 0 : 1;
        }
        byte[] px = new byte[n * per];
        int[] labels = new int[n];
        int j = 0;
        for (int i = 0; i < inputs.count(); i++) {
            if (inputs.labels()[i] != k) {
                System.arraycopy(edited.pixels(), i * per, px, j * per, per);
                labels[j++] = k;
            }
        }
        return new ImageDataset("edited, others", n, edited.channels(), edited.height(), edited.width(), px, labels);
    }

    /** With --out, writes {@code images} to {@code out/sub/}, each named by its class in {@code classes}. */
    private void save(String sub, Samples images, int[] classes, DiffusionModel model) throws IOException {
        if (out == null) {
            return;
        }
        Samples named = new Samples(images.pixels(), images.count(), images.channels(), images.height(), images.width(),
                java.util.Arrays.stream(classes).asLongStream().toArray(), model.info().classNames(), images.audio(), images.seed());
        named.writeFiles(out.resolve(sub));
    }

    private static Samples like(Samples in, byte[] pixels) {
        return new Samples(pixels, in.count(), in.channels(), in.height(), in.width(), null, List.of(), in.audio(), 0);
    }

    private static ImageDataset like(ImageDataset inputs, byte[] pixels, String name) {
        return new ImageDataset(name, inputs.count(), inputs.channels(), inputs.height(), inputs.width(), pixels, inputs.labels());
    }

    private void report(ClassifierTraining.Trained c, ImageDataset images, ClassifierTraining.Summary ref, double floor, double secs, NDManager m,
            PrintWriter pw) {
        ClassifierTraining.Summary s = ClassifierTraining.summarise(c, images, ClassifierTraining.FEATURE_BATCH, m);
        double fid = FrechetDistance.of(s.moments(), ref.moments());
        pw.printf(Locale.ROOT, "FID %.3f against %d other test images (floor: the unedited inputs, %.3f; %.2f x), confidence %.4f; "
                + "%.1f s, %.1f ms per image%n", fid, num.num, floor, fid / floor, s.confidence(), secs, 1000 * secs / images.count());
        pw.flush();
    }
}

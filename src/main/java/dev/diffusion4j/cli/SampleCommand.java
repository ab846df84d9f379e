package dev.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.NumOption;
import dev.diffusion4j.cli.SharedOptions.SamplerOptions;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffusion4j sample}: images from a checkpoint, with DDPM or DDIM. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Generate images from a checkpoint (EMA weights by default; without --checkpoint, the built-in MNIST "
                + "model, builtin:mnist). --out FILE.png writes a grid, "
                + "FILE.npy an (N, C, H, W) uint8 array, a directory one PNG per sample (for a model trained on wav: data, "
                + "a WAV and a mel-spectrogram PNG per sample, and grid.png); a class-conditional model's files are named after the "
                + "class drawn, e.g. sample-00003-three.wav.")
public final class SampleCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint = new CheckpointOption();

    @Mixin
    private SamplerOptions sampler = new SamplerOptions();

    @Mixin
    private NumOption num = new NumOption(64);

    @Mixin
    private BatchOption batch = new BatchOption(64);

    @Mixin
    private SeedOption seed = new SeedOption(0);

    @Option(names = "--no-ema", description = "Use the raw weights instead of their moving average.")
    private boolean noEma;

    @Option(names = "--out", required = true, description = "FILE.png, FILE.npy or a directory.")
    private Path out;

    @Option(names = "--trajectory", description = "PNG showing x_t and the predicted x_0 at a dozen timesteps.")
    private Path trajectory;

    @Option(names = "--class", split = ",", paramLabel = "CLASS",
            description = "For a class-conditional model: the classes to draw, by index or name (7, seven, 3,5 or all); --num "
                    + "is then per class (default 64 for one class, 10 for several) and a PNG has one row per class. "
                    + "Without it such a model draws all classes in turn.")
    private List<String> classTokens;

    @Option(names = "--guidance", paramLabel = "W",
            description = "Classifier-free guidance scale for a class-conditional model: 0 unconditional, 1 plain conditional, "
                    + "larger trades diversity for fidelity. Default: " + GUIDANCE_DEFAULT + ".")
    private Double guidance;

    /** The guidance scale when none is given, the library's ({@link dev.diffusion4j.api.SampleRequest#DEFAULT_GUIDANCE}). */
    static final double GUIDANCE_DEFAULT = dev.diffusion4j.api.SampleRequest.DEFAULT_GUIDANCE;

    /** What --out names. */
    private enum Output { PNG, NPY, DIRECTORY }

    @Override
    public Integer call() throws IOException {
        Output kind = checkOutputs();
        Path given = checkpoint.pathOr(Builtins.DEFAULT);
        Checkpoint ckpt = Checkpoints.open(given);
        if (noEma && Builtins.names(given)) {
            throw new UserInputException("--no-ema: a built-in model ships only its EMA weights");
        }
        GaussianDiffusion diffusion = ckpt.config().diffusion().build();
        Sampler s;
        try {
            s = sampler.spec().build(diffusion);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Classes classes = classes(ckpt);
        Trajectory traj = trajectory == null ? null : new Trajectory(s.timesteps().length, Math.min(4, Math.min(classes.total(), batch.batch)));
        long start = System.nanoTime();
        Djl.engine();
        long loopStart;
        byte[] pixels;
        try (NDManager m = NDManager.newBaseManager()) {
            UNet model = ckpt.model(m, !noEma);
            Denoiser net = Denoiser.of(model, new ParameterStore(m, false));
            if (classes.labels() != null) {
                net = Guidance.of(net, classes.guidance(), ckpt.config().model().nullLabel());
            }
            loopStart = System.nanoTime();
            pixels = SamplingLoop.generate(net, s, classes.total(), batch.batch, ckpt.config().model().channels(),
                    ckpt.config().model().height(), ckpt.config().model().width(), Randomness.of(seed.seed), classes.labels(), m, traj, null);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double loopSecs = (System.nanoTime() - loopStart) / 1e9;
        write(kind, ckpt, pixels, classes);
        if (traj != null) {
            traj.write(trajectory, ckpt.config().model());
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "%d samples%s, %s with %d model evaluations each, from %s: %.1f s (sampling loop %.1f s, "
                + "engine start and weights %.1f s) -> %s%n", classes.total(), classes.describe(), sampler.kind, s.timesteps().length,
                ckpt.name(), secs, loopSecs, secs - loopSecs, out);
        return 0;
    }

    /**
     * What to draw: the label of each sample (null for an unconditional model), grouped into rows of
     * {@code perRow} when classes were asked for by name, and the guidance scale.
     */
    private record Classes(long[] labels, List<String> rowNames, int perRow, double guidance, int total) {
        String describe() {
            if (labels == null) {
                return "";
            }
            return rowNames == null ? String.format(Locale.ROOT, " (all classes in turn, guidance %.2g)", guidance)
                    : String.format(Locale.ROOT, " (%d each of %s, guidance %.2g)", perRow, String.join(", ", rowNames), guidance);
        }
    }

    private Classes classes(Checkpoint ckpt) {
        UNetConfig mc = ckpt.config().model();
        if (!mc.conditional()) {
            if (classTokens != null || guidance != null) {
                throw new UserInputException("--class and --guidance need a class-conditional model; " + ckpt.name()
                        + " has model.classes = 0");
            }
            return new Classes(null, null, 0, 1, num.num);
        }
        double w = guidance == null ? GUIDANCE_DEFAULT : guidance;
        if (!(w >= 0) || !Double.isFinite(w)) {
            throw new ParameterException(spec.commandLine(), "--guidance must be ≥ 0, got " + w);
        }
        List<String> names = ckpt.config().classNames();
        if (classTokens == null) {
            long[] labels = new long[num.num];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i % mc.classes();
            }
            return new Classes(labels, null, 0, w, num.num);
        }
        List<Integer> chosen = ClassChoice.resolve(classTokens, names, mc.classes());
        boolean numGiven = spec.commandLine().getParseResult().hasMatchedOption("--num");
        int perClass = numGiven ? num.num : chosen.size() == 1 ? 64 : 10;
        long[] labels = new long[chosen.size() * perClass];
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < chosen.size(); r++) {
            Arrays.fill(labels, r * perClass, (r + 1) * perClass, chosen.get(r));
            rows.add(ClassChoice.name(chosen.get(r), names));
        }
        return new Classes(labels, rows, perClass, w, labels.length);
    }

    /** Checks the output paths before any work; returns what --out names. */
    private Output checkOutputs() {
        if (num.num < 1 || batch.batch < 1) {
            throw new ParameterException(spec.commandLine(), "--num and --batch must be at least 1");
        }
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        Output kind = name.endsWith(".png") ? Output.PNG : name.endsWith(".npy") ? Output.NPY : Output.DIRECTORY;
        if (kind != Output.DIRECTORY) {
            Outputs.requireWritableParent(out);
        } else if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserInputException(out + ": not a directory (name a .png or .npy file, or a directory)");
        } else {
            Outputs.requireWritableDirectory(out);
        }
        if (trajectory != null) {
            Outputs.requireWritableParent(trajectory);
        }
        return kind;
    }

    /** A grid, an array, one PNG per sample, or (for an audio run) one WAV and one mel picture per sample. */
    private void write(Output kind, Checkpoint ckpt, byte[] pixels, Classes classes) throws IOException {
        UNetConfig mc = ckpt.config().model();
        int c = mc.channels();
        int h = mc.height();
        int w = mc.width();
        int n = classes.total();
        switch (kind) {
            case PNG -> ImageFiles.writePng(out, classes.rowNames() != null && classes.rowNames().size() > 1
                    ? ImageFiles.labelledGrid(pixels, classes.rowNames(), classes.perRow(), c, h, w, 2)
                    : ImageFiles.grid(pixels, n, c, h, w, (int) Math.ceil(Math.sqrt(n)), 2));
            case NPY -> ImageFiles.writeNpy(out, pixels, n, c, h, w);
            case DIRECTORY -> {
                Files.createDirectories(out);
                if (ckpt.config().usesAudio()) {
                    AudioConfig audio = ckpt.config().audio();
                    for (int i = 0; i < n; i++) {
                        String stem = stem(i, classes, ckpt.config().classNames());
                        ImageFiles.writePng(out.resolve(stem + ".png"), ImageFiles.scaled(ImageFiles.image(pixels, i, c, h, w), 4));
                        MelImages.soundOf(pixels, i, audio, Randomness.of(seed.seed).derive("phases").step(i)).write(out.resolve(stem + ".wav"));
                    }
                    ImageFiles.writePng(out.resolve("grid.png"), ImageFiles.grid(pixels, n, c, h, w, (int) Math.ceil(Math.sqrt(n)), 2));
                } else {
                    for (int i = 0; i < n; i++) {
                        ImageFiles.writePng(out.resolve(stem(i, classes, ckpt.config().classNames()) + ".png"), ImageFiles.image(pixels, i, c, h, w));
                    }
                }
            }
        }
    }

    /** A sample's file name without extension: its number, and the class it was drawn for (sample-00003-three). */
    private static String stem(int i, Classes classes, List<String> names) {
        String number = String.format(Locale.ROOT, "sample-%05d", i);
        return classes.labels() == null ? number : number + "-" + ClassChoice.name((int) classes.labels()[i], names);
    }

    /**
     * x_t and the predicted x_0 of the first batch's first few samples at a dozen evenly spread steps;
     * written as rows (per sample: x_t, then x_0) and columns (the steps, noisiest first).
     */
    private static final class Trajectory implements SamplingLoop.Observer {
        private final int[] showAt;
        private final int rows;
        private final List<byte[]> xs = new ArrayList<>();
        private final List<byte[]> x0s = new ArrayList<>();

        Trajectory(int steps, int rows) {
            int shown = Math.min(12, steps);
            this.showAt = new int[shown];
            for (int i = 0; i < shown; i++) {
                showAt[i] = shown == 1 ? steps - 1 : (int) Math.round((double) i * (steps - 1) / (shown - 1));
            }
            this.rows = rows;
        }

        @Override
        public void after(int i, int t, NDArray sample, NDArray predX0) {
            for (int k : showAt) {
                if (k == i) {
                    xs.add(Pixels.toBytes(sample.get("0:" + rows)));
                    x0s.add(Pixels.toBytes(predX0.get("0:" + rows)));
                }
            }
        }

        void write(Path file, UNetConfig mc) throws IOException {
            int h = mc.height();
            int w = mc.width();
            int per = mc.channels() * h * w;
            int cols = xs.size();
            byte[] tiles = new byte[2 * rows * cols * per];
            int k = 0;
            for (int r = 0; r < rows; r++) {
                for (List<byte[]> src : List.of(xs, x0s)) {
                    for (int col = 0; col < cols; col++) {
                        System.arraycopy(src.get(col), r * per, tiles, k++ * per, per);
                    }
                }
            }
            ImageFiles.writePng(file, ImageFiles.grid(tiles, 2 * rows * cols, mc.channels(), h, w, cols, 2));
        }
    }
}

package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelInfo;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.SampleListener;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.SampleStep;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.api.Weights;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.NumOption;
import dev.diffusion4j.cli.SharedOptions.SamplerOptions;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.ClassNames;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.train.Builtins;
import java.io.IOException;
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
        description = "Generate images from a checkpoint (EMA weights by default; without --checkpoint, a built-in MNIST "
                + "model distilled to 4 steps, builtin:mnist-fast-guided, or builtin:mnist when the options ask for what the "
                + "4-step model cannot do: another sampler or step count, a guidance scale outside 1 to 3). --out FILE.png writes a grid, "
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
                    + "larger trades diversity for fidelity. Default: the model's (its configuration's sampling.guidance; 1.5 "
                    + "unless that says otherwise).")
    private Double guidance;

    /** What --out names. */
    private enum Output { PNG, NPY, DIRECTORY }

    @Override
    public Integer call() throws IOException {
        Output kind = checkOutputs();
        if (noEma && (!checkpoint.given() || Builtins.names(checkpoint.path))) {
            throw new UserInputException("--no-ema: a built-in model ships only its EMA weights");
        }
        long start = System.nanoTime();
        try (DiffusionModel model = checkpoint.given() ? open(checkpoint.path) : openDefault()) {
            Classes classes = classes(model.info());
            SampleRequest request = request(model, classes);
            Trajectory traj = trajectory == null ? null : new Trajectory(model.steps(request), Math.min(4, Math.min(classes.total(), batch.batch)));
            long loopStart = System.nanoTime();
            Samples samples = model.sample(request, traj == null ? SampleListener.NONE : traj);
            double secs = (System.nanoTime() - start) / 1e9;
            double loopSecs = (System.nanoTime() - loopStart) / 1e9;
            write(kind, samples, classes);
            if (traj != null) {
                traj.write(trajectory, model.info());
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "%d samples%s, %s with %d steps (%d network evaluations each), from %s: %.1f s "
                    + "(sampling loop %.1f s, engine start and weights %.1f s) -> %s%n", classes.total(), classes.describe(),
                    model.resolve(request.sampler()).kind(), model.steps(request), model.networkEvaluations(request), model.info().name(), secs,
                    loopSecs, secs - loopSecs, out);
        }
        return 0;
    }

    /**
     * The model without --checkpoint: {@link Builtins#FAST}, 4 network evaluations per sample, when it can serve what
     * the options ask (its own sampler, a guidance scale of its range); otherwise {@link Builtins#MNIST}, which serves
     * every sampler and scale. The report line names the one used.
     */
    private DiffusionModel openDefault() {
        DiffusionModel fast = open(Path.of(Builtins.FAST));
        boolean serves = false;
        try {
            fast.check(build(fast, classes(fast.info())));
            serves = true;
        } catch (IllegalArgumentException e) {
            // another sampler, step count or scale: the full model's job
        } finally {
            if (!serves) {
                fast.close();
            }
        }
        return serves ? fast : open(Path.of(Builtins.MNIST));
    }

    private DiffusionModel open(Path given) {
        try {
            return DiffusionModel.open(new ModelSource(given), noEma ? Weights.RAW : Weights.EMA);
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    /** The request the options make, checked against the model: a sampler the schedule cannot run is a usage error. */
    private SampleRequest request(DiffusionModel model, Classes classes) {
        SampleRequest request = build(model, classes);
        try {
            model.check(request);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return request;
    }

    private SampleRequest build(DiffusionModel model, Classes classes) {
        List<String> labels = classes.labels() == null ? List.of()
                : Arrays.stream(classes.labels()).mapToObj(k -> ClassNames.name((int) k, model.info().classNames())).toList();
        return SampleRequest.builder().count(classes.total()).batch(batch.batch).labels(labels).guidance(classes.guidance())
                .sampler(sampler.spec()).seed(seed.seed).build();
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
            String w = java.math.BigDecimal.valueOf(guidance).stripTrailingZeros().toPlainString();
            return rowNames == null ? " (all classes in turn, guidance " + w + ")"
                    : String.format(Locale.ROOT, " (%d each of %s, guidance %s)", perRow, String.join(", ", rowNames), w);
        }
    }

    private Classes classes(ModelInfo info) {
        if (!info.conditional()) {
            if (classTokens != null || guidance != null) {
                throw new UserInputException("--class and --guidance need a class-conditional model; " + info.name()
                        + " has model.classes = 0");
            }
            return new Classes(null, null, 0, 1, num.num);
        }
        double w = guidance == null ? info.defaultGuidance() : guidance;
        if (!(w >= 0) || !Double.isFinite(w)) {
            throw new ParameterException(spec.commandLine(), "--guidance must be ≥ 0, got " + w);
        }
        List<String> names = info.classNames();
        if (classTokens == null) {
            long[] labels = new long[num.num];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i % info.classes();
            }
            return new Classes(labels, null, 0, w, num.num);
        }
        List<Integer> chosen = ClassChoice.resolve(classTokens, names, info.classes());
        boolean numGiven = spec.commandLine().getParseResult().hasMatchedOption("--num");
        int perClass = numGiven ? num.num : chosen.size() == 1 ? 64 : 10;
        long[] labels = new long[chosen.size() * perClass];
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < chosen.size(); r++) {
            Arrays.fill(labels, r * perClass, (r + 1) * perClass, chosen.get(r));
            rows.add(ClassNames.name(chosen.get(r), names));
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

    /** A grid (one row per class when several were asked for), an array, or one file per sample. */
    private void write(Output kind, Samples samples, Classes classes) throws IOException {
        switch (kind) {
            case PNG -> {
                if (classes.rowNames() != null && classes.rowNames().size() > 1) {
                    samples.writeClassGrid(out, classes.perRow());
                } else {
                    samples.writeGrid(out);
                }
            }
            case NPY -> samples.writeNpy(out);
            case DIRECTORY -> samples.writeFiles(out);
        }
    }

    /**
     * x_t and the predicted x_0 of the first batch's first few samples at a dozen evenly spread steps;
     * written as rows (per sample: x_t, then x_0) and columns (the steps, noisiest first).
     */
    private static final class Trajectory implements SampleListener {
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
        public boolean wantsPreviews() {
            return true;
        }

        @Override
        public void onStep(SampleStep step) {
            if (step.firstSample() != 0) {
                return;
            }
            int per = step.sample().channels() * step.sample().height() * step.sample().width();
            for (int k : showAt) {
                if (k == step.step()) {
                    xs.add(Arrays.copyOf(step.sample().pixels(), rows * per));
                    x0s.add(Arrays.copyOf(step.predictedX0().pixels(), rows * per));
                }
            }
        }

        void write(Path file, ModelInfo info) throws IOException {
            int h = info.height();
            int w = info.width();
            int per = info.channels() * h * w;
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
            ImageFiles.writePng(file, ImageFiles.grid(tiles, 2 * rows * cols, info.channels(), h, w, cols, 2));
        }
    }
}

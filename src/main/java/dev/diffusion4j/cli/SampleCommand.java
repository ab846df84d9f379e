package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.AudioConfig;
import ai.djl.ndarray.NDArray;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.NumOption;
import dev.diffusion4j.cli.SharedOptions.SamplerOptions;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        description = "Generate images from a checkpoint (EMA weights by default). --out FILE.png writes a grid, "
                + "FILE.npy an (N, C, H, W) uint8 array, a directory one PNG per sample (for a model trained on wav: data, "
                + "a WAV and a mel-spectrogram PNG per sample, and grid.png).")
public final class SampleCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint = new CheckpointOption();

    @Mixin
    private SamplerOptions sampler = new SamplerOptions(SamplerSpec.Kind.DDPM);

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

    /** What --out names. */
    private enum Output { PNG, NPY, DIRECTORY }

    @Override
    public Integer call() throws IOException {
        Output kind = checkOutputs();
        if (!checkpoint.given()) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--checkpoint=DIR'");
        }
        Checkpoint ckpt = checkpoint.open();
        GaussianDiffusion diffusion = ckpt.config().diffusion().build();
        Sampler s;
        try {
            s = sampler.spec().build(diffusion);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Trajectory traj = trajectory == null ? null : new Trajectory(s.timesteps().length, Math.min(4, Math.min(num.num, batch.batch)));
        long start = System.nanoTime();
        Djl.engine();
        long loopStart;
        byte[] pixels;
        try (NDManager m = NDManager.newBaseManager()) {
            UNet model = ckpt.model(m, !noEma);
            ParameterStore ps = new ParameterStore(m, false);
            loopStart = System.nanoTime();
            pixels = SamplingLoop.generate((xt, t) -> model.forward(ps, xt, t, false), s, num.num, batch.batch, ckpt.config().model().channels(),
                    ckpt.config().model().imageSize(), Randomness.of(seed.seed), m, traj, null);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double loopSecs = (System.nanoTime() - loopStart) / 1e9;
        write(kind, ckpt, pixels);
        if (traj != null) {
            traj.write(trajectory, ckpt.config().model());
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "%d samples, %s with %d model evaluations each, from %s: %.1f s (sampling loop %.1f s, "
                + "engine start and weights %.1f s) -> %s%n", num.num, sampler.kind, s.timesteps().length, ckpt.dir(), secs, loopSecs,
                secs - loopSecs, out);
        return 0;
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
        }
        if (trajectory != null) {
            Outputs.requireWritableParent(trajectory);
        }
        return kind;
    }

    /** A grid, an array, one PNG per sample, or (for an audio run) one WAV and one mel picture per sample. */
    private void write(Output kind, Checkpoint ckpt, byte[] pixels) throws IOException {
        UNetConfig mc = ckpt.config().model();
        int c = mc.channels();
        int hw = mc.imageSize();
        int n = num.num;
        switch (kind) {
            case PNG -> ImageFiles.writePng(out, ImageFiles.grid(pixels, n, c, hw, hw, (int) Math.ceil(Math.sqrt(n)), 2));
            case NPY -> ImageFiles.writeNpy(out, pixels, n, c, hw, hw);
            case DIRECTORY -> {
                Files.createDirectories(out);
                if (ckpt.config().usesAudio()) {
                    AudioConfig audio = ckpt.config().audio();
                    for (int i = 0; i < n; i++) {
                        String stem = String.format("sample-%05d", i);
                        ImageFiles.writePng(out.resolve(stem + ".png"), ImageFiles.scaled(ImageFiles.image(pixels, i, c, hw, hw), 4));
                        MelImages.soundOf(pixels, i, audio, Randomness.of(seed.seed).derive("phases").step(i)).write(out.resolve(stem + ".wav"));
                    }
                    ImageFiles.writePng(out.resolve("grid.png"), ImageFiles.grid(pixels, n, c, hw, hw, (int) Math.ceil(Math.sqrt(n)), 2));
                } else {
                    for (int i = 0; i < n; i++) {
                        ImageFiles.writePng(out.resolve(String.format("sample-%05d.png", i)), ImageFiles.image(pixels, i, c, hw, hw));
                    }
                }
            }
        }
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
            int hw = mc.imageSize();
            int per = mc.channels() * hw * hw;
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
            ImageFiles.writePng(file, ImageFiles.grid(tiles, 2 * rows * cols, mc.channels(), hw, hw, cols, 2));
        }
    }
}

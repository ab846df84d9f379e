package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.sample.DdpmSampler;
import dev.diffusion4j.sample.Sampler;
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
    /** The samplers. */
    enum Kind { ddpm, ddim }

    @Spec
    private CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "A run directory (its newest checkpoint) or a checkpoint directory.")
    private Path checkpoint;

    @Option(names = "--sampler", defaultValue = "ddpm", description = "ddpm (the paper's Algorithm 2) or ddim. Default: ${DEFAULT-VALUE}.")
    private Kind sampler;

    @Option(names = "--steps", description = "DDIM steps (default 50); DDPM always takes all T.")
    private Integer steps;

    @Option(names = "--eta", defaultValue = "0", description = "DDIM eta (0: deterministic). Default: ${DEFAULT-VALUE}.")
    private double eta;

    @Option(names = "--num", defaultValue = "64", description = "Number of samples. Default: ${DEFAULT-VALUE}.")
    private int num;

    @Option(names = "--batch", defaultValue = "64", description = "Samples per batch. Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--no-ema", description = "Use the raw weights instead of their moving average.")
    private boolean noEma;

    @Option(names = "--out", required = true, description = "FILE.png, FILE.npy or a directory.")
    private Path out;

    @Option(names = "--trajectory", description = "PNG showing x_t and the predicted x_0 at a dozen timesteps.")
    private Path trajectory;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if (num < 1 || batch < 1) {
            throw new ParameterException(spec.commandLine(), "--num and --batch must be at least 1");
        }
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean png = name.endsWith(".png");
        boolean npy = name.endsWith(".npy");
        if (png || npy) {
            Outputs.requireWritableParent(out);
        } else if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserInputException(out + ": not a directory (name a .png or .npy file, or a directory)");
        }
        if (trajectory != null) {
            Outputs.requireWritableParent(trajectory);
        }
        Checkpoint ckpt = Checkpoints.open(checkpoint);
        GaussianDiffusion diffusion = ckpt.config().diffusion().build();
        Sampler s = sampler == Kind.ddpm ? new DdpmSampler(diffusion)
                : new DdimSampler(diffusion, steps == null ? Math.min(50, diffusion.schedule().steps()) : steps, eta);
        if (sampler == Kind.ddpm && steps != null && steps != diffusion.schedule().steps()) {
            throw new ParameterException(spec.commandLine(), "ddpm takes all T = " + diffusion.schedule().steps()
                    + " steps; use --sampler ddim for fewer");
        }
        UNetConfig mc = ckpt.config().model();
        int c = mc.channels();
        int hw = mc.imageSize();
        int[] ts = s.timesteps();
        int shown = Math.min(12, ts.length);
        int[] showAt = new int[shown];
        for (int i = 0; i < shown; i++) {
            showAt[i] = shown == 1 ? ts.length - 1 : (int) Math.round((double) i * (ts.length - 1) / (shown - 1));
        }
        int trajRows = Math.min(4, Math.min(num, batch));
        List<byte[]> trajX = new ArrayList<>();
        List<byte[]> trajX0 = new ArrayList<>();
        SamplingLoop.Observer observer = trajectory == null ? null : (i, t, xs, x0) -> {
            for (int k : showAt) {
                if (k == i) {
                    trajX.add(SamplingLoop.toBytes(xs.get("0:" + trajRows)));
                    trajX0.add(SamplingLoop.toBytes(x0.get("0:" + trajRows)));
                }
            }
        };
        long start = System.nanoTime();
        long loopStart;
        Djl.engine();
        byte[] pixels;
        try (NDManager m = NDManager.newBaseManager()) {
            UNet model = ckpt.model(m, !noEma);
            ParameterStore ps = new ParameterStore(m, false);
            loopStart = System.nanoTime();
            pixels = SamplingLoop.generate((xt, t) -> model.forward(ps, xt, t, false), s, num, batch, c, hw, seed, m, observer, null);
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double loopSecs = (System.nanoTime() - loopStart) / 1e9;
        if (png) {
            ImageFiles.writePng(out, ImageFiles.grid(pixels, num, c, hw, hw, (int) Math.ceil(Math.sqrt(num)), 2));
        } else if (npy) {
            ImageFiles.writeNpy(out, pixels, num, c, hw, hw);
        } else if (ckpt.config().usesAudio()) {
            Files.createDirectories(out);
            AudioConfig audio = ckpt.config().audio();
            for (int i = 0; i < num; i++) {
                String stem = String.format("sample-%05d", i);
                ImageFiles.writePng(out.resolve(stem + ".png"), ImageFiles.scaled(ImageFiles.image(pixels, i, c, hw, hw), 4));
                AudioDatasets.soundOf(pixels, i, audio, seed + i).write(out.resolve(stem + ".wav"));
            }
            ImageFiles.writePng(out.resolve("grid.png"), ImageFiles.grid(pixels, num, c, hw, hw, (int) Math.ceil(Math.sqrt(num)), 2));
        } else {
            Files.createDirectories(out);
            for (int i = 0; i < num; i++) {
                ImageFiles.writePng(out.resolve(String.format("sample-%05d.png", i)), ImageFiles.image(pixels, i, c, hw, hw));
            }
        }
        if (trajectory != null) {
            writeTrajectory(trajectory, trajX, trajX0, trajRows, c, hw);
        }
        pw.printf(Locale.ROOT, "%d samples, %s with %d model evaluations each, from %s: %.1f s (sampling loop %.1f s, "
                + "engine start and weights %.1f s) -> %s%n", num, sampler, ts.length, ckpt.dir(), secs, loopSecs, secs - loopSecs, out);
        return 0;
    }

    /** Rows: for each sample, x_t then the predicted x_0; columns: the shown timesteps, noisiest first. */
    private static void writeTrajectory(Path file, List<byte[]> xs, List<byte[]> x0s, int rows, int c, int hw) throws IOException {
        int cols = xs.size();
        int per = c * hw * hw;
        byte[] tiles = new byte[2 * rows * cols * per];
        int k = 0;
        for (int r = 0; r < rows; r++) {
            for (List<byte[]> src : List.of(xs, x0s)) {
                for (int col = 0; col < cols; col++) {
                    System.arraycopy(src.get(col), r * per, tiles, k++ * per, per);
                }
            }
        }
        ImageFiles.writePng(file, ImageFiles.grid(tiles, 2 * rows * cols, c, hw, hw, cols, 2));
    }
}

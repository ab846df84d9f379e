package dev.diffusion4j.train;

import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.StopRequests;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.Charts;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.io.TensorBoardEvents;
import dev.diffusion4j.model.Denoiser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A run directory around a {@link Trainer}: {@code config.json}, {@code metrics.csv}, {@code
 * loss.png}, {@code samples/step-N.png} (and for a model of sound {@code samples/step-N-K.wav}, its first clips) and
 * {@code checkpoints/}. The metrics are averaged over each
 * window of {@code output.logEvery} steps.
 */
public final class TrainingRun {
    /** The header of metrics.csv. */
    public static final String METRICS_HEADER = "step,loss,loss_t_q1,loss_t_q2,loss_t_q3,loss_t_q4,grad_norm,lr,images_per_sec";

    private TrainingRun() {}

    /** What a run reports as it goes, on its own thread; every method has a no-op default. */
    public interface Listener {
        /** Before the first step, with the step the run starts after and the one it ends at. */
        default void started(long from, long to) {}

        /** After every optimiser step. */
        default void step(StepStats stats) {}

        /** After each window of {@code output.logEvery} steps, as metrics.csv gets its row. */
        default void logged(long step, long to, double loss, double imagesPerSec) {}

        /** After a sample grid is written. */
        default void preview(long step, Path png) {}

        /** After a checkpoint is written (atomically). */
        default void checkpoint(long step, Path dir) {}
    }

    /**
     * Draws the sample grid of a step: {@code count} images from the EMA weights, as 8-bit NCHW
     * pixels, from the same generators every time. The caller supplies it (sampling is downstream of
     * training).
     */
    @FunctionalInterface
    public interface Preview {
        byte[] pixels(Denoiser ema, int count, Randomness rng);
    }

    /**
     * Runs the trainer up to {@code training.steps}, drawing sample grids with {@code preview}. A stop
     * request ({@link CancelToken}: cancelled, interrupted, or a signal) ends it after the step in flight,
     * with a checkpoint of that step.
     *
     * @throws StopRequests.Stopped after that checkpoint, naming it and how to resume
     */
    public static void run(Trainer tr, Path runDir, Listener progress, Preview preview, CancelToken cancel) throws IOException {
        run(tr, runDir, progress, preview, cancel, true);
    }

    /**
     * {@link #run(Trainer, Path, Listener, Preview, CancelToken)}, with or without a TensorBoard event file: a new
     * {@code events.out.tfevents.*} per start, with the configuration as text, every metrics row as scalars, every
     * preview grid as an image (and for a model of sound its first clips as audio); a resumed run's file starts with a
     * SessionLog START at its first step, so that TensorBoard drops what an earlier file holds beyond the checkpoint.
     */
    public static void run(Trainer tr, Path runDir, Listener progress, Preview preview, CancelToken cancel, boolean tensorboard)
            throws IOException {
        Files.createDirectories(runDir);
        try (Events events = tensorboard ? new Events(TensorBoardEvents.create(runDir), tr) : new Events(null, tr)) {
            loop(tr, runDir, progress, preview, cancel, events);
        }
    }

    private static void loop(Trainer tr, Path runDir, Listener progress, Preview preview, CancelToken cancel, Events events) throws IOException {
        TrainConfig c = tr.config();
        Files.createDirectories(runDir);
        AtomicFiles.write(runDir.resolve("config.json"), out -> out.write(Configs.toJson(c).getBytes(StandardCharsets.UTF_8)));
        Path metrics = runDir.resolve("metrics.csv");
        prepareMetrics(metrics, tr.currentStep());
        long to = c.training().steps();
        Window window = new Window(tr.diffusion().schedule().steps());
        progress.started(tr.currentStep(), to);
        try (BufferedWriter w = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            while (tr.currentStep() < to) {
                StepStats s = tr.step();
                progress.step(s);
                window.add(s);
                long k = s.step();
                boolean last = k == to;
                if (k % c.output().logEvery() == 0 || last) {
                    double ips = window.imagesPerSecond();
                    w.write(window.row(s, ips));
                    w.flush();
                    events.scalars(k, window.scalars(s, ips));
                    progress.logged(k, to, window.meanLoss(), ips);
                    window.reset();
                }
                if ((c.output().sampleEvery() > 0 && k % c.output().sampleEvery() == 0) || last) {
                    Path png = writeSamples(tr, runDir, preview, events);
                    progress.preview(k, png);
                    window.restartClock();
                }
                boolean stop = cancel.stopRequested();
                if (k % c.output().checkpointEvery() == 0 || last || stop) {
                    Path ckpt = tr.checkpoint(runDir);
                    writeLossCurve(metrics, runDir.resolve("loss.png"));
                    progress.checkpoint(k, ckpt);
                    window.restartClock();
                    if (!last) {
                        cancel.check("checkpoint at step " + k + " in " + ckpt + "; resume with: diffusion4j train --resume " + runDir);
                    }
                }
            }
        }
    }

    /** How many of a preview's samples a model of sound also writes as clips. */
    static final int PREVIEW_CLIPS = 4;

    /**
     * Writes {@code samples/step-N.png} from the EMA weights at the current step and, for a model of sound, its first
     * clips as {@code samples/step-N-K.wav} (before the grid, so that whoever sees the grid finds its clips).
     */
    private static Path writeSamples(Trainer tr, Path runDir, Preview preview, Events events) throws IOException {
        TrainConfig c = tr.config();
        String stem = Checkpoint.dirName(tr.currentStep());
        Path png = runDir.resolve("samples").resolve(stem + ".png");
        Files.createDirectories(png.getParent());
        int count = c.output().samples();
        byte[] px = preview.pixels(tr.emaDenoiser(), count, Randomness.of(c.training().seed()).derive("sample grids"));
        List<dev.diffusion4j.data.Wav> clips = new ArrayList<>();
        if (c.usesAudio()) {
            Randomness phases = Randomness.of(c.training().seed()).derive("preview phases");
            for (int i = 0; i < Math.min(PREVIEW_CLIPS, count); i++) {
                dev.diffusion4j.data.Wav wav = dev.diffusion4j.data.MelImages.soundOf(px, i, c.audio(), phases.step(i));
                AtomicFiles.write(png.resolveSibling(stem + "-" + i + ".wav"), out -> out.write(wav.bytes()));
                clips.add(wav);
            }
        }
        int cols = (int) Math.ceil(Math.sqrt(count));
        ImageFiles.writePng(png, ImageFiles.grid(px, count, c.model().channels(), c.model().height(), c.model().width(), cols, 2));
        events.preview(tr.currentStep(), png, clips);
        return png;
    }

    /** The steps since the last metrics row: mean loss, loss per quartile of t, gradient norm, throughput. */
    private static final class Window {
        private static final int QUARTILES = 4;
        private final int timesteps;
        private final double[] qSum = new double[QUARTILES];
        private final int[] qCount = new int[QUARTILES];
        private double loss;
        private double norm;
        private int steps;
        private long images;
        private long start = System.nanoTime();

        Window(int timesteps) {
            this.timesteps = timesteps;
        }

        void add(StepStats s) {
            loss += s.loss();
            norm += s.gradNorm();
            steps++;
            images += s.lossPerItem().length;
            for (int i = 0; i < s.timesteps().length; i++) {
                int q = (int) Math.min(QUARTILES - 1, (s.timesteps()[i] - 1) * QUARTILES / timesteps);
                qSum[q] += s.lossPerItem()[i];
                qCount[q]++;
            }
        }

        double meanLoss() {
            return loss / steps;
        }

        double imagesPerSecond() {
            return images / ((System.nanoTime() - start) / 1e9);
        }

        /** The metrics row's figures by name, for TensorBoard: loss, its quartiles of t, gradient norm, rate, throughput. */
        java.util.Map<String, Double> scalars(StepStats last, double imagesPerSecond) {
            java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
            out.put("loss", meanLoss());
            for (int q = 0; q < QUARTILES; q++) {
                if (qCount[q] > 0) {
                    out.put("loss_t_q" + (q + 1), qSum[q] / qCount[q]);
                }
            }
            out.put("grad_norm", norm / steps);
            out.put("lr", last.lr());
            out.put("images_per_sec", imagesPerSecond);
            return out;
        }

        /** The metrics.csv row ending at step {@code last}. */
        String row(StepStats last, double imagesPerSecond) {
            StringBuilder row = new StringBuilder().append(last.step()).append(',').append(fmt(meanLoss()));
            for (int q = 0; q < QUARTILES; q++) {
                row.append(',').append(qCount[q] == 0 ? "" : fmt(qSum[q] / qCount[q]));
            }
            row.append(',').append(fmt(norm / steps)).append(',').append(fmt(last.lr())).append(',')
                    .append(String.format(Locale.ROOT, "%.2f", imagesPerSecond));
            return row.append('\n').toString();
        }

        void reset() {
            loss = 0;
            norm = 0;
            steps = 0;
            images = 0;
            java.util.Arrays.fill(qSum, 0);
            java.util.Arrays.fill(qCount, 0);
            restartClock();
        }

        /** Time spent writing samples or checkpoints does not count against throughput. */
        void restartClock() {
            start = System.nanoTime();
        }
    }

    /** The run's TensorBoard file, or nothing when it is off. */
    private static final class Events implements AutoCloseable {
        private final TensorBoardEvents tb;
        private final Trainer tr;

        Events(TensorBoardEvents tb, Trainer tr) throws IOException {
            this.tb = tb;
            this.tr = tr;
            if (tb != null) {
                if (tr.currentStep() > 0) {
                    tb.sessionStart(tr.currentStep() + 1);
                }
                tb.text(tr.currentStep(), "config", "```\n" + Configs.toJson(tr.config()) + "\n```");
            }
        }

        void scalars(long step, java.util.Map<String, Double> values) throws IOException {
            if (tb != null) {
                tb.scalars(step, values);
            }
        }

        /** The grid as an image and, for a model of sound, its first clips as audio. */
        void preview(long step, Path png, List<dev.diffusion4j.data.Wav> clips) throws IOException {
            if (tb == null) {
                return;
            }
            java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
            tb.image(step, "samples", Files.readAllBytes(png), img.getHeight(), img.getWidth(), tr.config().model().channels());
            for (int i = 0; i < clips.size(); i++) {
                dev.diffusion4j.data.Wav wav = clips.get(i);
                tb.audio(step, "samples/" + i, wav.bytes(), wav.sampleRate(), wav.samples().length);
            }
        }

        @Override
        public void close() throws IOException {
            if (tb != null) {
                tb.close();
            }
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }

    /** Starts metrics.csv, or keeps only its rows up to the step a resumed run starts from. */
    static void prepareMetrics(Path metrics, long fromStep) throws IOException {
        List<String> keep = new ArrayList<>();
        keep.add(METRICS_HEADER);
        if (fromStep > 0 && Files.exists(metrics)) {
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                int comma = line.indexOf(',');
                if (comma > 0 && line.substring(0, comma).matches("\\d+") && Long.parseLong(line.substring(0, comma)) <= fromStep) {
                    keep.add(line);
                }
            }
        }
        AtomicFiles.write(metrics, out -> out.write((String.join("\n", keep) + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** Draws loss.png from metrics.csv. */
    static void writeLossCurve(Path metrics, Path png) throws IOException {
        List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        List<double[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])});
        }
        double[] x = rows.stream().mapToDouble(r -> r[0]).toArray();
        double[] y = rows.stream().mapToDouble(r -> r[1]).toArray();
        Charts.writePng(png, "training loss (" + metrics.getParent().getFileName() + ")", "step", "loss (log scale)", List.of(new Charts.Series("loss (window mean)", x, y)),
                "", List.of(), 900, 500, true);
    }
}

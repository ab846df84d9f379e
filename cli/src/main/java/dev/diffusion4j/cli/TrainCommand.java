package dev.diffusion4j.cli;

import dev.diffusion4j.api.TrainListener;
import dev.diffusion4j.api.TrainLog;
import dev.diffusion4j.api.TrainStart;
import dev.diffusion4j.api.Training;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.TrainConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffusion4j train}: trains ε_θ on images, with checkpoints and exact resume. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a DDPM on images. Defaults, then --config, then flags; with no --data it trains on the "
                + "5,000 MNIST digits shipped in the jar.")
public final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--data", converter = DataSpecConverter.class,
            description = "embedded (default), mnist:DIR, fashion-mnist:DIR, cifar10:DIR, images:DIR or wav:DIR "
                    + "(log-mel spectrograms; see configs/fsdd.yaml).")
    private DataSpec data;

    @Option(names = "--config", description = "YAML or JSON file overriding the defaults (unknown keys are an error).")
    private Path configFile;

    @Option(names = "--steps", description = "Total optimiser steps (training.steps).")
    private Integer steps;

    @Mixin
    private BatchOption batch = new BatchOption(null);

    @Option(names = "--lr", description = "Peak learning rate (training.lr).")
    private Double lr;

    @Option(names = "--decay-steps", description = "Take the learning rate linearly to 0 over the last N steps (training.decaySteps, "
            + "with lrSchedule CONSTANT). With --resume: a constant-rate run gets its decay; the steps already taken keep their rate "
            + "if the decay starts after them.")
    private Integer decaySteps;

    @Option(names = "--seed", description = "Seed of every random draw (training.seed).")
    private Long seed;

    @Option(names = "--resume", description = "Continue the run in this directory from its newest checkpoint.")
    private Path resume;

    @Option(names = "--out", description = "Run directory (default: the --resume directory).")
    private Path out;

    @Option(names = "--serve", arity = "0..1", fallbackValue = "8080", paramLabel = "PORT",
            description = "Also serve the run's live page on 127.0.0.1:PORT (default 8080), as serve does; if the port is taken the run "
                    + "trains without it.")
    private Integer serve;

    @Option(names = "--no-tensorboard", description = "Write no TensorBoard event file (by default the run directory gets "
            + "events.out.tfevents.*: the metrics, the preview grids and, for sound, clips, and the configuration).")
    private boolean noTensorboard;

    @Option(names = "--print-config", description = "Print the resolved configuration as JSON and exit.")
    private boolean printConfig;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        Path runDir = out != null ? out : resume;
        if (runDir == null && !printConfig) {
            throw new ParameterException(spec.commandLine(), "give --out RUN_DIR (or --resume RUN_DIR)");
        }
        if (resume != null && configFile != null) {
            throw new ParameterException(spec.commandLine(), "--config cannot change a resumed run; its configuration comes from the checkpoint");
        }
        try (Progress progress = new Progress(pw)) {
            Training training = training(runDir == null ? Path.of(".") : runDir, progress);
            if (printConfig) {
                pw.println(Configs.toJson(training.config()));
                return 0;
            }
            try (RunServer page = page(runDir, pw)) {
                training.run();
            }
        }
        pw.println("done: " + runDir);
        return 0;
    }

    /** The live page, or null without --serve or when it cannot listen (the run trains on, with a one-line warning). */
    private RunServer page(Path runDir, PrintWriter pw) {
        if (serve == null) {
            return null;
        }
        try {
            java.nio.file.Files.createDirectories(runDir);
            RunServer s = RunServer.start(java.util.List.of(runDir), "127.0.0.1", serve);
            pw.println("serving the run's page at " + s.url());
            return s;
        } catch (IOException e) {
            spec.commandLine().getErr().println("diffusion4j: warning: --serve " + serve + ": cannot listen (" + e.getMessage()
                    + "); training without the page");
            return null;
        }
    }

    /** The run the options describe: the file and the flags over the defaults, or over the resumed run's configuration. */
    private Training training(Path runDir, TrainListener listener) throws IOException {
        Training.Builder b = Training.builder().runDirectory(runDir).listener(listener).tensorboard(!noTensorboard);
        if (resume != null) {
            b.resume(resume);
        }
        if (configFile != null) {
            b.config(configFile);
        }
        if (data != null) {
            b.data(data);
        }
        if (steps != null) {
            b.steps(steps);
        }
        if (batch.batch != null) {
            b.batchSize(batch.batch);
        }
        if (lr != null) {
            b.lr(lr);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (decaySteps != null) {
            b.decaySteps(decaySteps);
        }
        try {
            return b.build();
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    /** The run's progress on the terminal: a progress bar, or (not on a terminal) a log line per metrics row. */
    static final class Progress implements TrainListener, AutoCloseable {
        private final PrintWriter pw;
        private final boolean terminal = System.console() != null;
        private ProgressBar bar;
        private long startNanos;
        private long startStep;

        Progress(PrintWriter pw) {
            this.pw = pw;
        }

        @Override
        public void onStart(TrainStart s) {
            TrainConfig config = s.config();
            pw.printf("training on %s (%d images), %s, %,d parameters, steps %d..%d, batch %d -> %s%n", s.dataName(), s.images(),
                    config.diffusion().schedule() + " T=" + config.diffusion().timesteps(), s.parameters(), s.fromStep() + 1, s.toStep(),
                    config.training().batchSize(), s.runDirectory());
            pw.flush();
            startNanos = System.nanoTime();
            startStep = s.fromStep();
            close(); // a distillation starts one run per round
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(s.toStep()).startsFrom(s.fromStep(), java.time.Duration.ZERO)
                        .setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1).build();
            }
        }

        @Override
        public void onLog(TrainLog log) {
            if (bar != null) {
                bar.stepTo(log.step());
                bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f %.1f img/s", log.loss(), log.imagesPerSecond()));
                return;
            }
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            double perStep = elapsed / Math.max(1, log.step() - startStep);
            long eta = Math.round(perStep * (log.toStep() - log.step()));
            pw.printf(Locale.ROOT, "step %d/%d loss %.5f %.1f img/s ETA %d:%02d:%02d%n", log.step(), log.toStep(), log.loss(),
                    log.imagesPerSecond(), eta / 3600, eta / 60 % 60, eta % 60);
            pw.flush();
        }

        @Override
        public void onPreview(long step, Path png) {
            onMessage("samples at step " + step + ": " + png);
        }

        @Override
        public void onCheckpoint(long step, Path checkpoint) {
            onMessage("checkpoint at step " + step + ": " + checkpoint);
        }

        @Override
        public void onMessage(String line) {
            if (bar != null) {
                bar.pause();
            }
            pw.println(line);
            pw.flush();
            if (bar != null) {
                bar.resume();
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}

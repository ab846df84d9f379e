package dev.diffusion4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j train}: trains ε_θ on images, with checkpoints and exact resume. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a DDPM on images. Defaults, then --config, then flags; with no --data it trains on the "
                + "5,000 MNIST digits shipped in the jar.")
public final class TrainCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--data", description = "embedded (default), mnist:DIR, fashion-mnist:DIR, cifar10:DIR, images:DIR or wav:DIR "
            + "(log-mel spectrograms; see configs/fsdd.yaml).")
    private String data;

    @Option(names = "--config", description = "YAML or JSON file overriding the defaults (unknown keys are an error).")
    private Path configFile;

    @Option(names = "--steps", description = "Total optimiser steps (training.steps).")
    private Integer steps;

    @Option(names = "--batch-size", description = "Images per step (training.batchSize).")
    private Integer batchSize;

    @Option(names = "--lr", description = "Peak learning rate (training.lr).")
    private Double lr;

    @Option(names = "--seed", description = "Seed of every random draw (training.seed).")
    private Long seed;

    @Option(names = "--resume", description = "Continue the run in this directory from its newest checkpoint.")
    private Path resume;

    @Option(names = "--out", description = "Run directory (default: the --resume directory).")
    private Path out;

    @Option(names = "--print-config", description = "Print the resolved configuration as JSON and exit.")
    private boolean printConfig;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        Path runDir = out != null ? out : resume;
        if (runDir == null && !printConfig) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give --out RUN_DIR (or --resume RUN_DIR)");
        }
        Checkpoint ckpt = null;
        ObjectNode tree;
        if (resume != null) {
            if (configFile != null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--config cannot change a resumed run; its configuration comes from the checkpoint");
            }
            try {
                ckpt = Checkpoint.open(resume);
            } catch (IOException e) {
                throw new UserInputException(e.getMessage(), e);
            }
            tree = Configs.JSON.valueToTree(ckpt.config());
        } else {
            tree = Configs.defaultsTree();
            if (configFile != null) {
                Configs.mergeFile(tree, configFile);
            }
        }
        if (data != null) {
            DataSpec.parse(data);
            Configs.set(tree, "data", data);
        }
        if (steps != null) {
            Configs.set(tree, "training.steps", steps);
        }
        if (batchSize != null) {
            Configs.set(tree, "training.batchSize", batchSize);
        }
        if (lr != null) {
            Configs.set(tree, "training.lr", lr);
        }
        if (seed != null) {
            Configs.set(tree, "training.seed", seed);
        }
        TrainConfig config = Configs.toConfig(tree);
        ImageDataset audioImages = null;
        if (config.usesAudio() && !config.audio().hasStats() && !printConfig) {
            // the first read of a wav: folder measures its log-mel range; the images come with it
            DataSpec.Wav wav = (DataSpec.Wav) DataSpec.parse(config.data());
            AudioDatasets.Loaded loaded = AudioDatasets.load(wav.dir(), Datasets.Split.TRAIN, config.audio());
            config = config.withAudio(loaded.audio());
            audioImages = loaded.images();
        }
        if (printConfig) {
            pw.println(Configs.toJson(config));
            return 0;
        }
        if (ckpt != null && ckpt.state().step() >= config.training().steps()) {
            throw new UserInputException(ckpt.dir() + " is already at step " + ckpt.state().step()
                    + "; pass --steps N with N larger to train further");
        }
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new UserInputException(runDir + ": exists and is not a directory");
        }
        if (ckpt == null && !Checkpoint.list(runDir).isEmpty()) {
            throw new UserInputException(runDir + " already holds checkpoints; use --resume " + runDir + " or another --out");
        }
        ImageDataset images = audioImages != null ? audioImages : Datasets.load(DataSpec.parse(config.data()), Datasets.Split.TRAIN,
                config.model().imageSize(), config.model().channels(), config.audio());
        try (Trainer trainer = ckpt == null ? Trainer.fresh(config, images) : Trainer.resume(ckpt, config, images)) {
            pw.printf("training on %s (%d images), %s, %,d parameters, steps %d..%d, batch %d -> %s%n", images.name(), images.count(),
                    config.diffusion().schedule() + " T=" + config.diffusion().timesteps(),
                    new dev.diffusion4j.model.UNet(config.model()).parameterCount(), trainer.currentStep() + 1,
                    config.training().steps(), config.training().batchSize(), runDir);
            pw.flush();
            TrainingRun.run(trainer, runDir, progress(pw));
        }
        pw.println("done: " + runDir);
        return 0;
    }

    private static TrainingRun.Progress progress(PrintWriter pw) {
        boolean terminal = System.console() != null;
        return new TrainingRun.Progress() {
            private ProgressBar bar;
            private long startNanos;
            private long startStep;

            @Override
            public void started(long from, long to) {
                startNanos = System.nanoTime();
                startStep = from;
                if (terminal) {
                    bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(to).startsFrom(from, java.time.Duration.ZERO)
                            .setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1).build();
                }
            }

            @Override
            public void logged(long step, long to, double loss, double imagesPerSec) {
                if (bar != null) {
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.4f %.1f img/s", loss, imagesPerSec));
                } else {
                    double elapsed = (System.nanoTime() - startNanos) / 1e9;
                    double perStep = elapsed / Math.max(1, step - startStep);
                    long eta = Math.round(perStep * (to - step));
                    pw.printf(java.util.Locale.ROOT, "step %d/%d loss %.5f %.1f img/s ETA %d:%02d:%02d%n", step, to, loss, imagesPerSec,
                            eta / 3600, eta / 60 % 60, eta % 60);
                    pw.flush();
                }
            }

            @Override
            public void message(String line) {
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
            public void finished() {
                if (bar != null) {
                    bar.close();
                }
            }
        };
    }
}

package dev.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.RunLock;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    @Option(names = "--print-config", description = "Print the resolved configuration as JSON and exit.")
    private boolean printConfig;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        Path runDir = out != null ? out : resume;
        if (runDir == null && !printConfig) {
            throw new ParameterException(spec.commandLine(), "give --out RUN_DIR (or --resume RUN_DIR)");
        }
        Checkpoint ckpt = resume == null ? null : resumedCheckpoint();
        TrainConfig config = resolveConfig(ckpt);
        if (printConfig) {
            pw.println(Configs.toJson(config));
            return 0;
        }
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new UserInputException(runDir + ": exists and is not a directory");
        }
        requireRunDirectory(runDir, ckpt, config);
        Prepared prepared = withMeasuredAudio(config);
        Trainer.requireMatchingData(prepared.config(), prepared.images());
        try (RunLock lock = lock(runDir)) {
            requireRunDirectory(runDir, ckpt, config); // again: another process may have written it meanwhile
            List<String> removed = Checkpoint.removeLeftovers(runDir);
            if (!removed.isEmpty()) {
                pw.println("removed what an interrupted run left in " + runDir.resolve("checkpoints") + ": " + String.join(", ", removed));
            }
            try (Trainer trainer = ckpt == null ? Trainer.fresh(prepared.config(), prepared.images())
                    : Trainer.resume(ckpt, prepared.config(), prepared.images())) {
                announce(pw, trainer, prepared.images(), runDir);
                TrainingRun.run(trainer, runDir, progress(pw), previews(prepared.config()));
            }
        }
        pw.println("done: " + runDir);
        return 0;
    }

    private static RunLock lock(Path runDir) throws IOException {
        try {
            return RunLock.acquire(runDir);
        } catch (IllegalStateException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    /** The checkpoint a resumed run continues from. */
    private Checkpoint resumedCheckpoint() {
        if (configFile != null) {
            throw new ParameterException(spec.commandLine(), "--config cannot change a resumed run; its configuration comes from the checkpoint");
        }
        return Checkpoints.open(resume);
    }

    /** Defaults (or the checkpoint's configuration), then --config, then the flags. */
    private TrainConfig resolveConfig(Checkpoint ckpt) {
        ObjectNode tree = ckpt != null ? Configs.JSON.valueToTree(ckpt.config()) : Configs.defaultsTree();
        ObjectNode fromFile = configFile != null ? Configs.mergeFile(tree, configFile) : Configs.JSON.createObjectNode();
        if (data != null) {
            Configs.set(tree, "data", data.spec());
        }
        if (steps != null) {
            Configs.set(tree, "training.steps", steps);
        }
        if (batch.batch != null) {
            Configs.set(tree, "training.batchSize", batch.batch);
        }
        if (lr != null) {
            Configs.set(tree, "training.lr", lr);
        }
        if (seed != null) {
            Configs.set(tree, "training.seed", seed);
        }
        if (decaySteps != null) {
            Configs.set(tree, "training.decaySteps", decaySteps);
        }
        if (ckpt == null && !fromFile.path("model").has("imageSize") && !fromFile.path("model").has("imageWidth") && isWav(tree)) {
            // sound makes nMels x frames images: unless the user sized the model, size it to them
            int mels = tree.path("audio").path("nMels").asInt();
            int frames = tree.path("audio").path("frames").asInt();
            Configs.set(tree, "model.imageSize", mels);
            Configs.set(tree, "model.imageWidth", frames == mels ? 0 : frames);
        }
        return Configs.toConfig(tree);
    }

    private static boolean isWav(ObjectNode tree) {
        return DataSpec.parse(tree.path("data").asText()) instanceof DataSpec.Wav;
    }

    /** The configuration (with the log-mel range measured, for wav: data) and the training images. */
    private record Prepared(TrainConfig config, ImageDataset images) {}

    private Prepared withMeasuredAudio(TrainConfig config) {
        Prepared p;
        if (config.data() instanceof DataSpec.Wav wav && !config.audio().hasStats()) {
            // the first read of a wav: folder measures its log-mel range; the images come with it
            AudioDatasets.Loaded loaded = AudioDatasets.load(wav.dir(), Datasets.Split.TRAIN, config.audio());
            p = new Prepared(config.withAudio(loaded.audio()), loaded.images());
        } else {
            p = new Prepared(config, Datasets.load(config.data(), Datasets.Split.TRAIN, config.model().imageSize(),
                    config.model().channels(), config.audio()));
        }
        return withClassNames(p);
    }

    /** A class-conditional run stores its data's class names (or the label numbers) the first time it reads it. */
    private static Prepared withClassNames(Prepared p) {
        TrainConfig c = p.config();
        if (!c.model().conditional() || !c.classNames().isEmpty()) {
            return p;
        }
        List<String> names = p.images().classNames();
        if (names == null || names.size() < c.model().classes()) {
            names = java.util.stream.IntStream.range(0, c.model().classes()).mapToObj(Integer::toString).toList();
        }
        names = names.subList(0, c.model().classes()); // the labels the data uses are checked against K before training
        return new Prepared(c.withClassNames(names), p.images());
    }

    /** Refuses a finished resume, or a fresh run over old checkpoints. */
    private static void requireRunDirectory(Path runDir, Checkpoint ckpt, TrainConfig config) throws IOException {
        if (ckpt != null && ckpt.state().step() >= config.training().steps()) {
            throw new UserInputException(ckpt.dir() + " is already at step " + ckpt.state().step()
                    + "; pass --steps N with N larger to train further");
        }
        if (ckpt == null && !Checkpoint.list(runDir).isEmpty()) {
            throw new UserInputException(runDir + " already holds checkpoints; use --resume " + runDir + " or another --out");
        }
    }

    private static void announce(PrintWriter pw, Trainer trainer, ImageDataset images, Path runDir) {
        TrainConfig config = trainer.config();
        pw.printf("training on %s (%d images), %s, %,d parameters, steps %d..%d, batch %d -> %s%n", images.name(), images.count(),
                config.diffusion().schedule() + " T=" + config.diffusion().timesteps(), trainer.parameterCount(),
                trainer.currentStep() + 1, config.training().steps(), config.training().batchSize(), runDir);
        pw.flush();
    }

    /**
     * The sample grids a run writes: DDIM (η = 0) with {@code output.sampleSteps} steps from the EMA
     * weights; a class-conditional model draws the classes in turn, without guidance.
     */
    static TrainingRun.Preview previews(TrainConfig config) {
        GaussianDiffusion diffusion = config.diffusion().build();
        Sampler sampler = new SamplerSpec(SamplerSpec.Kind.DDIM, Math.min(config.output().sampleSteps(), diffusion.schedule().steps()), 0)
                .build(diffusion);
        int c = config.model().channels();
        int h = config.model().height();
        int w = config.model().width();
        int classes = config.model().classes();
        return (ema, count, rng) -> {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray labels = classes == 0 ? null : m.create(java.util.stream.LongStream.range(0, count).map(i -> i % classes).toArray());
                return Pixels.toBytes(SamplingLoop.sample(ema, sampler, new Shape(count, c, h, w), rng, 0, labels, m, null, null, CancelToken.NONE));
            }
        };
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

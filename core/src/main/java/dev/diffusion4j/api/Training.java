package dev.diffusion4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.RunLock;
import dev.diffusion4j.train.StepStats;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

/**
 * A training run, configured as {@code diffusion4j train} is (the defaults, then a configuration file, then single
 * settings; unknown keys are refused) and run on the calling thread:
 * <pre>{@code
 * TrainResult r = Training.builder().data(DataSpec.images(Path.of("pics"))).steps(5_000)
 *         .runDirectory(Path.of("runs/pics")).listener(myListener).build().run();
 * }</pre>
 * The run directory gets what {@code train} writes ({@code config.json}, {@code metrics.csv}, {@code loss.png},
 * {@code samples/}, {@code checkpoints/}) and is locked against a second process while it runs. A run ends early, with
 * a checkpoint of the step in flight, when its {@link CancelToken} is set or its thread interrupted; {@link
 * Builder#resume} continues it exactly. The engine's allocator setting is process-wide (docs/ENGINE.md); one run uses
 * the engine's threads, so run one at a time.
 */
public final class Training {
    private final TrainConfig config;
    private final Checkpoint resumed;
    private final Path runDirectory;
    private final TrainListener listener;
    private final CancelToken cancel;
    private final boolean tensorboard;

    private Training(TrainConfig config, Checkpoint resumed, Path runDirectory, TrainListener listener, CancelToken cancel, boolean tensorboard) {
        this.tensorboard = tensorboard;
        this.config = config;
        this.resumed = resumed;
        this.runDirectory = runDirectory;
        this.listener = listener;
        this.cancel = cancel;
    }

    /**
     * A builder: at least a run directory (or a run to resume).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The resolved configuration the run uses (before a {@code wav:} folder's log-mel range is measured).
     *
     * @return the run's configuration
     */
    public TrainConfig config() {
        return config;
    }

    /**
     * Trains up to {@code training.steps}.
     *
     * @return the finished run
     * @throws IllegalArgumentException when the run directory does not fit (a fresh run over old checkpoints, a finished
     *     resume, another process holding it) or the data does not fit the model
     * @throws java.util.concurrent.CancellationException when cancelled or interrupted, after a checkpoint of the step
     *     in flight
     * @throws IOException naming a file that could not be read or written
     */
    public TrainResult run() throws IOException {
        if (Files.exists(runDirectory) && !Files.isDirectory(runDirectory)) {
            throw new IllegalArgumentException(runDirectory + ": exists and is not a directory");
        }
        requireRunDirectory();
        Prepared prepared = withClassNames(withMeasuredAudio(config));
        Trainer.requireMatchingData(prepared.config(), prepared.images());
        TrainResult result;
        try (RunLock lock = lock(runDirectory)) {
            requireRunDirectory(); // again: another process may have written it meanwhile
            List<String> removed = Checkpoint.removeLeftovers(runDirectory);
            if (!removed.isEmpty()) {
                listener.onMessage("removed what an interrupted run left in " + runDirectory.resolve("checkpoints") + ": "
                        + String.join(", ", removed));
            }
            try (Trainer trainer = resumed == null ? Trainer.fresh(prepared.config(), prepared.images())
                    : Trainer.resume(resumed, prepared.config(), prepared.images())) {
                listener.onStart(new TrainStart(trainer.currentStep(), prepared.config().training().steps(), prepared.images().name(),
                        prepared.images().count(), trainer.parameterCount(), prepared.config(), runDirectory));
                Events events = new Events(listener);
                TrainingRun.run(trainer, runDirectory, events, previews(prepared.config()), cancel, tensorboard);
                result = new TrainResult(runDirectory, trainer.currentStep(), events.lastCheckpoint);
            }
        }
        listener.onFinish(result);
        return result;
    }

    /** Refuses a finished resume, or a fresh run over old checkpoints. */
    private void requireRunDirectory() throws IOException {
        if (resumed != null && resumed.state().step() >= config.training().steps()) {
            throw new IllegalArgumentException(resumed.dir() + " is already at step " + resumed.state().step()
                    + "; pass --steps N with N larger to train further");
        }
        if (resumed == null && !Checkpoint.list(runDirectory).isEmpty()) {
            throw new IllegalArgumentException(runDirectory + " already holds checkpoints; use --resume " + runDirectory + " or another --out");
        }
    }

    static RunLock lock(Path runDir) throws IOException {
        try {
            return RunLock.acquire(runDir);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The configuration (with the log-mel range measured, for wav: data) and the training images. */
    record Prepared(TrainConfig config, ImageDataset images) {}

    static Prepared withMeasuredAudio(TrainConfig config) {
        if (config.data() instanceof DataSpec.Wav wav && !config.audio().hasStats()) {
            // the first read of a wav: folder measures its log-mel range; the images come with it
            AudioDatasets.Loaded loaded = AudioDatasets.load(wav.dir(), Datasets.Split.TRAIN, config.audio());
            return new Prepared(config.withAudio(loaded.audio()), loaded.images());
        }
        return new Prepared(config, Datasets.load(config.data(), Datasets.Split.TRAIN, config.model().imageSize(), config.model().channels(),
                config.audio()));
    }

    /** A class-conditional run stores its data's class names (or the label numbers) the first time it reads it. */
    static Prepared withClassNames(Prepared p) {
        TrainConfig c = p.config();
        if (!c.model().conditional() || !c.classNames().isEmpty()) {
            return p;
        }
        List<String> names = p.images().classNames();
        if (names == null || names.size() < c.model().classes()) {
            names = IntStream.range(0, c.model().classes()).mapToObj(Integer::toString).toList();
        }
        names = names.subList(0, c.model().classes()); // the labels the data uses are checked against K before training
        return new Prepared(c.withClassNames(names), p.images());
    }

    /**
     * The sample grids a run writes: DDIM (η = 0) with {@code output.sampleSteps} steps from the EMA weights (a
     * distilled student's own steps on the trailing grid); a class-conditional model draws the classes in turn, without
     * guidance.
     */
    static TrainingRun.Preview previews(TrainConfig config) {
        GaussianDiffusion diffusion = config.diffusion().build();
        Sampler sampler = config.distilled()
                ? new SamplerSpec(SamplerSpec.Kind.DDIM, config.distillation().steps(), 0, dev.diffusion4j.sample.DpmSolverPlusPlus.Grid.TRAILING)
                        .build(diffusion)
                : SamplerSpec.ddim(Math.min(config.output().sampleSteps(), diffusion.schedule().steps())).build(diffusion);
        int c = config.model().channels();
        int h = config.model().height();
        int w = config.model().width();
        int classes = config.model().classes();
        return (ema, count, rng) -> {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray labels = classes == 0 ? null : m.create(LongStream.range(0, count).map(i -> i % classes).toArray());
                return Pixels.toBytes(SamplingLoop.sample(ema, sampler, new Shape(count, c, h, w), rng, 0, labels, m, null, null,
                        CancelToken.NONE));
            }
        };
    }

    /** The run's events, passed on to the user's listener. */
    static final class Events implements TrainingRun.Listener {
        private final TrainListener listener;
        Path lastCheckpoint;

        Events(TrainListener listener) {
            this.listener = listener;
        }

        @Override
        public void step(StepStats stats) {
            listener.onStep(stats);
        }

        @Override
        public void logged(long step, long to, double loss, double imagesPerSec) {
            listener.onLog(new TrainLog(step, to, loss, imagesPerSec));
        }

        @Override
        public void preview(long step, Path png) {
            listener.onPreview(step, png);
        }

        @Override
        public void checkpoint(long step, Path dir) {
            lastCheckpoint = dir;
            listener.onCheckpoint(step, dir);
        }
    }

    /**
     * Builds a {@link Training}; {@link #build()} resolves the configuration and names what is wrong with it.
     * Settings apply in order over the defaults (or a resumed run's configuration) and {@link #config(Path)}.
     */
    public static final class Builder {
        private DataSpec data;
        private Path configFile;
        private final Map<String, Object> settings = new LinkedHashMap<>();
        private Path runDirectory;
        private Path resume;
        private TrainListener listener = TrainListener.NONE;
        private CancelToken cancel = CancelToken.NONE;
        private boolean tensorboard = true;

        private Builder() {}

        /**
         * Whether the run writes a TensorBoard event file ({@code events.out.tfevents.*}: the metrics as scalars, the
         * previews as images and, for sound, audio, the configuration as text); on by default.
         *
         * @param on false for none
         * @return this builder
         */
        public Builder tensorboard(boolean on) {
            this.tensorboard = on;
            return this;
        }

        /**
         * The training data (default: the MNIST digits shipped in the jar).
         *
         * @param spec the training data
         * @return this builder
         */
        public Builder data(DataSpec spec) {
            this.data = Objects.requireNonNull(spec, "data");
            return this;
        }

        /**
         * A YAML or JSON file over the defaults, as {@code train --config} reads (unknown keys are an error).
         *
         * @param file the configuration file
         * @return this builder
         */
        public Builder config(Path file) {
            this.configFile = Objects.requireNonNull(file, "config");
            return this;
        }

        /**
         * One setting by its dotted key, e.g. {@code set("model.baseChannels", 16)}, over the file.
         *
         * @param dottedKey the setting's key, e.g. {@code training.lr}
         * @param value the setting's value
         * @return this builder
         */
        public Builder set(String dottedKey, Object value) {
            settings.put(Objects.requireNonNull(dottedKey, "key"), value);
            return this;
        }

        /**
         * Total optimiser steps ({@code training.steps}).
         *
         * @param steps the total optimiser steps
         * @return this builder
         */
        public Builder steps(int steps) {
            return set("training.steps", steps);
        }

        /**
         * Images per step ({@code training.batchSize}).
         *
         * @param batch images per step
         * @return this builder
         */
        public Builder batchSize(int batch) {
            return set("training.batchSize", batch);
        }

        /**
         * Peak learning rate ({@code training.lr}).
         *
         * @param lr the peak learning rate
         * @return this builder
         */
        public Builder lr(double lr) {
            return set("training.lr", lr);
        }

        /**
         * A linear decay of the learning rate to 0 over the last N steps ({@code training.decaySteps}).
         *
         * @param steps N, the steps the decay lasts
         * @return this builder
         */
        public Builder decaySteps(int steps) {
            return set("training.decaySteps", steps);
        }

        /**
         * The seed of every random draw ({@code training.seed}).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            return set("training.seed", seed);
        }

        /**
         * Where the run writes (default: the run resumed).
         *
         * @param dir the run directory
         * @return this builder
         */
        public Builder runDirectory(Path dir) {
            this.runDirectory = Objects.requireNonNull(dir, "runDirectory");
            return this;
        }

        /**
         * Continues the run in {@code dir} from its newest checkpoint, with its configuration.
         *
         * @param dir the run directory to resume
         * @return this builder
         */
        public Builder resume(Path dir) {
            this.resume = Objects.requireNonNull(dir, "resume");
            return this;
        }

        /**
         * Who hears the run's progress.
         *
         * @param l the listener
         * @return this builder
         */
        public Builder listener(TrainListener l) {
            this.listener = Objects.requireNonNull(l, "listener");
            return this;
        }

        /**
         * A token that stops the run (with a checkpoint) when cancelled.
         *
         * @param token the cancel token
         * @return this builder
         */
        public Builder cancel(CancelToken token) {
            this.cancel = Objects.requireNonNull(token, "cancel");
            return this;
        }

        /**
         * Resolves the configuration.
         *
         * @return the configured run
         * @throws IllegalArgumentException naming the setting, file or key that is wrong
         * @throws IOException naming the resumed checkpoint's file that cannot be read
         */
        public Training build() throws IOException {
            if (resume != null && configFile != null) {
                throw new IllegalArgumentException("config: a resumed run's configuration comes from its checkpoint");
            }
            Path dir = runDirectory != null ? runDirectory : resume;
            if (dir == null) {
                throw new IllegalArgumentException("runDirectory is required (or resume)");
            }
            Checkpoint ckpt = resume == null ? null : Checkpoint.open(resume);
            return new Training(resolve(ckpt), ckpt, dir, listener, cancel, tensorboard);
        }

        /** Defaults (or the checkpoint's configuration), then the file, then the settings. */
        private TrainConfig resolve(Checkpoint ckpt) {
            ObjectNode tree = ckpt != null ? Configs.JSON.valueToTree(ckpt.config()) : Configs.defaultsTree();
            ObjectNode fromFile = configFile != null ? Configs.mergeFile(tree, configFile) : Configs.JSON.createObjectNode();
            if (data != null) {
                Configs.set(tree, "data", data.spec());
            }
            settings.forEach((key, value) -> {
                if (!has(tree, key)) {
                    throw new IllegalArgumentException("setting '" + key + "': no such configuration key (see train --print-config)");
                }
                Configs.set(tree, key, value);
            });
            if (ckpt == null && !fromFile.path("model").has("imageSize") && !fromFile.path("model").has("imageWidth") && isWav(tree)
                    && !settings.containsKey("model.imageSize") && !settings.containsKey("model.imageWidth")) {
                // sound makes height x frames images: unless the user sized the model, size it to them
                com.fasterxml.jackson.databind.JsonNode audio = tree.path("audio");
                int mels = "LINEAR".equalsIgnoreCase(audio.path("frequency").asText()) ? audio.path("nFft").asInt() / 2
                        : audio.path("nMels").asInt();
                int frames = tree.path("audio").path("frames").asInt();
                Configs.set(tree, "model.imageSize", mels);
                Configs.set(tree, "model.imageWidth", frames == mels ? 0 : frames);
            }
            return Configs.toConfig(tree);
        }

        private static boolean has(ObjectNode tree, String dottedKey) {
            com.fasterxml.jackson.databind.JsonNode node = tree;
            for (String part : dottedKey.split("\\.", -1)) {
                if (!node.isObject() || !node.has(part)) {
                    return false;
                }
                node = node.get(part);
            }
            return true;
        }

        private static boolean isWav(ObjectNode tree) {
            return DataSpec.parse(tree.path("data").asText()) instanceof DataSpec.Wav;
        }
    }
}

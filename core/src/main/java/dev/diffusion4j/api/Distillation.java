package dev.diffusion4j.api;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.RunLock;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import dev.diffusion4j.train.TrainingRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Progressive distillation (Salimans and Ho, 2022): rounds of N → N/2 DDIM steps, each student starting as its
 * teacher and trained on the teacher's two steps ({@link dev.diffusion4j.train.Distillation}), until the last has
 * {@code stepsTo}:
 * <pre>{@code
 * Distillation.builder().teacher("builtin:mnist-w16").stepsFrom(64).stepsTo(4).stepsPerRound(4_000)
 *         .runDirectory(Path.of("runs/distill")).build().run();
 * }</pre>
 * The run directory holds {@code distill.json} (the plan) and one training run per round, {@code steps-N/} (its
 * {@code config.json}, {@code metrics.csv}, previews sampled at the round's N steps, event file and checkpoints, whose
 * configuration records the N steps and trailing grid the student was distilled for). A stopped run resumes from the
 * round in flight; finished rounds are kept, and each is a model to sample.
 *
 * <p>With {@link Builder#guidance(double, double)} a class-conditional teacher is distilled with guidance (Meng et al.
 * 2023): every round's student takes the guidance scale as an input ({@code model.guidanceInput}), the first round's
 * teacher is the checkpoint under classifier-free guidance at each item's scale, the later rounds' the previous student
 * at that scale. The first student starts as its teacher with an embedding of the scale that adds nothing yet. With
 * {@code stepsFrom == stepsTo} the distillation is one round that keeps the teacher's steps and grid and only takes its
 * guidance into the student (the first stage of Meng et al., here on a teacher's own few-step grid): a student already
 * distilled for S steps becomes one that samples at any scale of the range in S evaluations instead of 2S.
 */
public final class Distillation {
    /** The plan, as {@code distill.json} records it; {@code guidance} is the range of guided distillation, or null. */
    record Plan(String teacher, int stepsFrom, int stepsTo, int stepsPerRound, int batchSize, double lr, long seed, String data,
            java.util.List<Double> guidance) {
        Plan withStepsPerRound(int n) {
            return new Plan(teacher, stepsFrom, stepsTo, n, batchSize, lr, seed, data, guidance);
        }

        /** A single round that keeps the teacher's steps and only takes its guidance into the student (Meng et al.'s stage one). */
        @com.fasterxml.jackson.annotation.JsonIgnore
        boolean guidanceOnly() {
            return guidance != null && stepsFrom == stepsTo;
        }
    }

    private final Plan plan;
    private final Path runDirectory;
    private final TrainListener listener;
    private final CancelToken cancel;
    private final boolean tensorboard;

    private Distillation(Plan plan, Path runDirectory, TrainListener listener, CancelToken cancel, boolean tensorboard) {
        this.plan = plan;
        this.runDirectory = runDirectory;
        this.listener = listener;
        this.cancel = cancel;
        this.tensorboard = tensorboard;
    }

    /**
     * A builder: a teacher and a run directory, or a run to resume.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The run directory of the round distilled to {@code steps}.
     *
     * @param runDirectory the distillation's directory
     * @param steps the round's student steps
     * @return {@code runDirectory/steps-N}
     */
    public static Path roundDirectory(Path runDirectory, int steps) {
        return runDirectory.resolve("steps-" + steps);
    }

    /**
     * Runs the rounds still to run.
     *
     * @return the last round's run
     * @throws IllegalArgumentException when the teacher cannot be distilled (its schedule too short for the steps) or
     *     another process holds the run directory
     * @throws java.util.concurrent.CancellationException when stopped, after a checkpoint of the step in flight
     * @throws IOException naming a file that could not be read or written
     */
    public TrainResult run() throws IOException {
        Files.createDirectories(runDirectory);
        TrainResult result = null;
        try (RunLock lock = Training.lock(runDirectory)) {
            writePlan();
            Checkpoint teacher = Checkpoint.open(Path.of(plan.teacher()));
            String teacherRef = plan.teacher();
            TrainConfig base = teacher.config();
            if (plan.data() != null) {
                base = new TrainConfig(DataSpec.parse(plan.data()), base.model(), base.diffusion(), base.training(), base.output(),
                        base.audio(), base.classNames(), null, base.sampling());
            }
            if (plan.guidance() != null && !base.model().conditional()) {
                throw new IllegalArgumentException(plan.teacher() + ": guided distillation needs a class-conditional teacher");
            }
            int first = plan.guidanceOnly() ? plan.stepsTo() : plan.stepsFrom() / 2;
            Training.Prepared data = Training.withClassNames(Training.withMeasuredAudio(roundConfig(base, teacherRef, first, 1)));
            int round = 1;
            for (int steps = first; steps >= plan.stepsTo(); steps /= 2, round++) {
                Path dir = roundDirectory(runDirectory, steps);
                TrainConfig config = roundConfig(base, teacherRef, steps, round).withAudio(data.config().audio())
                        .withClassNames(data.config().classNames()).validate();
                result = runRound(teacher, config, data, dir, round);
                teacher = Checkpoint.open(dir);
                teacherRef = dir.toAbsolutePath().normalize().toString();
            }
        }
        listener.onFinish(result);
        return result;
    }

    private TrainResult runRound(Checkpoint teacher, TrainConfig config, Training.Prepared data, Path dir, int round) throws IOException {
        int steps = config.distillation().steps();
        int teacherSteps = config.distillation().teacherSteps();
        Checkpoint.removeLeftovers(dir);
        Checkpoint last = Checkpoint.list(dir).isEmpty() ? null : Checkpoint.open(dir);
        long to = config.training().steps();
        if (last != null && last.state().step() >= to) {
            listener.onMessage("round " + round + " (" + teacherSteps + " → " + steps + " steps) is done: " + last.dir());
            return new TrainResult(dir, last.state().step(), last.dir());
        }
        listener.onMessage("round " + round + ": " + teacherSteps + " → " + steps + " steps" + (plan.guidance() == null ? "" : ", guided")
                + ", teacher " + teacher.name());
        Djl.engine();
        try (NDManager tm = NDManager.newBaseManager()) {
            UNet net = teacher.model(tm, true);
            var objective = objective(net, new ParameterStore(tm, false), steps, teacherSteps);
            try (Trainer trainer = last == null
                    ? Trainer.startingFrom(config, data.images(), dev.diffusion4j.train.Distillation.startingWeights(teacher.tensors("ema"),
                            config.model(), dev.diffusion4j.engine.Randomness.of(config.training().seed())), teacher.where("ema.safetensors"), objective)
                    : Trainer.resume(last, config, data.images(), objective)) {
                listener.onStart(new TrainStart(trainer.currentStep(), to, data.images().name(), data.images().count(),
                        trainer.parameterCount(), config, dir));
                Training.Events events = new Training.Events(listener);
                try {
                    TrainingRun.run(trainer, dir, events, Training.previews(config), cancel, tensorboard);
                } catch (dev.diffusion4j.engine.StopRequests.Stopped e) {
                    // the round's own hint names train; a round resumes with its distillation
                    throw new dev.diffusion4j.engine.StopRequests.Stopped(e.getMessage().replaceFirst("resume with: .*$",
                            "resume with: diffusion4j distill --resume " + runDirectory));
                }
                return new TrainResult(dir, trainer.currentStep(), events.lastCheckpoint);
            }
        }
    }

    /**
     * The round's objective: the teacher's two steps, guided at each item's scale when the plan is guided (classifier-free
     * for the first teacher, one pass for a student that takes the scale).
     */
    private java.util.function.Function<dev.diffusion4j.diffusion.GaussianDiffusion, dev.diffusion4j.train.Objective> objective(
            UNet net, ParameterStore ps, int steps, int teacherSteps) {
        if (plan.guidance() == null) {
            Denoiser plain = Denoiser.of(net, ps);
            return d -> new dev.diffusion4j.train.Distillation(d, plain, steps);
        }
        dev.diffusion4j.train.Distillation.Teacher teacher = net.config().guidanceInput()
                ? dev.diffusion4j.train.Distillation.Teacher.guidanceInput(net, ps)
                : dev.diffusion4j.train.Distillation.Teacher.classifierFree(Denoiser.of(net, ps), net.config().nullLabel());
        double lo = plan.guidance().get(0);
        double hi = plan.guidance().get(1);
        return teacherSteps == steps
                ? d -> dev.diffusion4j.train.Distillation.guidanceOnly(d, teacher, steps, lo, hi)
                : d -> dev.diffusion4j.train.Distillation.guided(d, teacher, steps, lo, hi);
    }

    /**
     * A round's configuration: the teacher's network, diffusion and data, the plan's optimisation (AdamW from the
     * teacher's settings at the plan's rate, warmed up over 50 steps and falling linearly to 0 by the round's end, as the
     * paper anneals each round), and what it distils.
     */
    private TrainConfig roundConfig(TrainConfig base, String teacherRef, int steps, int round) {
        TrainConfig.Training t = base.training();
        int n = plan.stepsPerRound();
        int warmup = Math.min(50, n - 1);
        TrainConfig.Training training = new TrainConfig.Training(n, plan.batchSize(), plan.lr(), warmup, t.weightDecay(), t.beta1(),
                t.beta2(), t.adamEps(), t.gradClip(), t.emaDecay(), t.emaWarmup(), plan.seed() + round, false, t.labelDropout(),
                TrainConfig.LrSchedule.CONSTANT, n - warmup);
        TrainConfig.Output output = new TrainConfig.Output(50, Math.max(1, n / 4), Math.min(500, n), 3, 64, steps);
        TrainConfig config = base.withTraining(training, output)
                .withDistillation(new TrainConfig.Distillation(teacherRef, plan.guidanceOnly() ? steps : 2 * steps, steps, plan.guidance()));
        return plan.guidance() == null ? config : config.withModel(base.model().withGuidanceInput(true));
    }

    /** Writes {@code distill.json}, or checks that a resumed run's agrees. */
    private void writePlan() throws IOException {
        Path file = runDirectory.resolve("distill.json");
        String json = Configs.JSON.writeValueAsString(plan);
        if (Files.isRegularFile(file)) {
            Plan old = readPlan(file);
            if (!old.withStepsPerRound(plan.stepsPerRound()).equals(plan)) {
                throw new IllegalArgumentException(file + ": this directory distils another plan; use --resume " + runDirectory
                        + " or another --out");
            }
            if (old.equals(plan)) {
                return;
            }
            listener.onMessage("steps per round: " + old.stepsPerRound() + " -> " + plan.stepsPerRound() + " for the rounds not done");
        }
        AtomicFiles.write(file, out -> out.write(json.getBytes(StandardCharsets.UTF_8)));
    }

    static Plan readPlan(Path file) throws IOException {
        try {
            return Configs.JSON.readValue(Files.readString(file), Plan.class);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": unreadable (" + e.getOriginalMessage().split("\n")[0] + ")");
        }
    }

    /** Builds a {@link Distillation}; {@link #build()} checks the plan and names what is wrong. */
    public static final class Builder {
        private String teacher;
        private int stepsFrom = 64;
        private int stepsTo = 4;
        private Integer stepsPerRound;
        private int batchSize = 64;
        private double lr = 1e-4;
        private long seed;
        private String data;
        private java.util.List<Double> guidance;
        private Path runDirectory;
        private Path resume;
        private TrainListener listener = TrainListener.NONE;
        private CancelToken cancel = CancelToken.NONE;
        private boolean tensorboard = true;

        private Builder() {}

        /**
         * The teacher: a run or checkpoint directory, or {@code builtin:NAME}.
         *
         * @param checkpoint where the teacher is
         * @return this builder
         */
        public Builder teacher(String checkpoint) {
            this.teacher = Objects.requireNonNull(checkpoint, "teacher");
            return this;
        }

        /**
         * The teacher's DDIM steps in the first round (default 64), a power of two times {@link #stepsTo}.
         *
         * @param n the first teacher's steps
         * @return this builder
         */
        public Builder stepsFrom(int n) {
            this.stepsFrom = n;
            return this;
        }

        /**
         * The last student's steps (default 4).
         *
         * @param n the last student's steps
         * @return this builder
         */
        public Builder stepsTo(int n) {
            this.stepsTo = n;
            return this;
        }

        /**
         * Optimiser steps in each round (default 4,000). With {@link #resume}, a new count for the rounds not done yet
         * (the round in flight continues to it, its rate decaying to 0 there from where it is).
         *
         * @param n steps per round
         * @return this builder
         */
        public Builder stepsPerRound(int n) {
            this.stepsPerRound = n;
            return this;
        }

        /**
         * Images per optimiser step (default 64).
         *
         * @param n the batch size
         * @return this builder
         */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /**
         * The peak learning rate of each round (default 1e-4).
         *
         * @param rate the learning rate
         * @return this builder
         */
        public Builder lr(double rate) {
            this.lr = rate;
            return this;
        }

        /**
         * The seed; round r draws from seed + r.
         *
         * @param s the seed
         * @return this builder
         */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * The training images (default: the teacher's own data), as {@code --data} names them.
         *
         * @param spec e.g. {@code mnist:DIR}
         * @return this builder
         */
        public Builder data(DataSpec spec) {
            this.data = Objects.requireNonNull(spec, "data").spec();
            return this;
        }

        /**
         * Guided distillation (Meng et al. 2023): each training item at a guidance scale drawn uniformly from [min, max],
         * the teacher guided at it, every student taking it as an input, so that one student samples at any scale of
         * the range with one network evaluation per step. Needs a class-conditional teacher.
         *
         * @param min the smallest scale, ≥ 0
         * @param max the largest, ≥ min
         * @return this builder
         */
        public Builder guidance(double min, double max) {
            TrainConfig.Distillation.requireGuidanceRange(min, max);
            this.guidance = java.util.List.of(min, max);
            return this;
        }

        /**
         * Where the rounds are written.
         *
         * @param dir the run directory
         * @return this builder
         */
        public Builder runDirectory(Path dir) {
            this.runDirectory = Objects.requireNonNull(dir, "runDirectory");
            return this;
        }

        /**
         * Continues the distillation in {@code dir} with its plan: finished rounds stay, the round in flight resumes from
         * its newest checkpoint.
         *
         * @param dir a distillation's run directory
         * @return this builder
         */
        public Builder resume(Path dir) {
            this.resume = Objects.requireNonNull(dir, "resume");
            return this;
        }

        /**
         * Who hears the rounds' progress.
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
         * Whether each round writes a TensorBoard event file (on by default).
         *
         * @param on false for none
         * @return this builder
         */
        public Builder tensorboard(boolean on) {
            this.tensorboard = on;
            return this;
        }

        /**
         * Checks the plan.
         *
         * @return the configured distillation
         * @throws IllegalArgumentException naming the setting that is wrong
         * @throws IOException naming a resumed run's plan that cannot be read
         */
        public Distillation build() throws IOException {
            if (resume != null) {
                Path file = resume.resolve("distill.json");
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException(resume + ": not a distillation (no distill.json)");
                }
                Plan plan = readPlan(file);
                if (stepsPerRound != null) {
                    require(stepsPerRound >= 2, "steps per round must be at least 2, got " + stepsPerRound);
                    plan = plan.withStepsPerRound(stepsPerRound);
                }
                return new Distillation(plan, resume, listener, cancel, tensorboard);
            }
            require(teacher != null, "teacher is required (a run directory or builtin:NAME)");
            require(runDirectory != null, "runDirectory is required (or resume)");
            require(stepsTo >= 1 && (stepsFrom > stepsTo || stepsFrom == stepsTo && guidance != null),
                    "steps-from must be larger than steps-to ≥ 1 (or equal to it with a guidance range), got " + stepsFrom + " and " + stepsTo);
            require(Integer.bitCount(stepsFrom / stepsTo) == 1 && stepsFrom % stepsTo == 0,
                    "steps-from must be steps-to times a power of two, got " + stepsFrom + " and " + stepsTo);
            int perRound = stepsPerRound == null ? 4000 : stepsPerRound;
            require(perRound >= 2, "steps per round must be at least 2, got " + perRound);
            require(batchSize >= 1, "batch size must be at least 1, got " + batchSize);
            require(lr > 0 && Double.isFinite(lr), "lr must be positive, got " + lr);
            require(!Files.isRegularFile(runDirectory.resolve("distill.json")),
                    runDirectory + " already holds a distillation; use --resume " + runDirectory + " or another --out");
            String ref = teacher.startsWith(dev.diffusion4j.train.Builtins.PREFIX) ? teacher : Path.of(teacher).toAbsolutePath().normalize().toString();
            return new Distillation(new Plan(ref, stepsFrom, stepsTo, perRound, batchSize, lr, seed, data, guidance), runDirectory, listener,
                    cancel, tensorboard);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}

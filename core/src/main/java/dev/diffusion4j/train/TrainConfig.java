package dev.diffusion4j.train;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.diffusion.LossType;
import dev.diffusion4j.diffusion.PredictionType;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import java.util.List;

/**
 * Everything a training run is made of. Defaults come from {@link #defaults()}; a YAML or JSON file
 * and then command-line flags override them ({@link Configs}).
 *
 * @param data where the training images come from
 * @param model the network
 * @param diffusion the process
 * @param training the optimisation
 * @param output logging, samples and checkpoints
 * @param audio how {@code wav:} data becomes log-mel images and back (unused for images)
 * @param classNames the name of each class label of a class-conditional model, in label order, as
 *     the training data names them (stored with the run the first time it reads its data); empty for
 *     an unconditional model
 * @param distillation for a distilled student, what it learns from and for how many steps; null for a model trained
 *     on data alone
 * @param sampling how the model is sampled when a request does not say (null: {@link Sampling#DEFAULTS})
 */
public record TrainConfig(DataSpec data, UNetConfig model, Diffusion diffusion, Training training, Output output, AudioConfig audio,
        List<String> classNames, Distillation distillation, Sampling sampling) {

    /** A configuration with the default sampling settings. */
    public TrainConfig(DataSpec data, UNetConfig model, Diffusion diffusion, Training training, Output output, AudioConfig audio,
            List<String> classNames, Distillation distillation) {
        this(data, model, diffusion, training, output, audio, classNames, distillation, null);
    }

    /** A configuration that is not a distillation. */
    public TrainConfig(DataSpec data, UNetConfig model, Diffusion diffusion, Training training, Output output, AudioConfig audio,
            List<String> classNames) {
        this(data, model, diffusion, training, output, audio, classNames, null);
    }

    /**
     * One round of progressive distillation (Salimans and Ho, 2022): a student that does in one DDIM step what its
     * teacher does in two, on the trailing grid of {@code steps} timesteps.
     *
     * @param teacher the teacher's checkpoint: a run or checkpoint directory, or {@code builtin:NAME}
     * @param teacherSteps the teacher's DDIM steps, twice {@code steps}; or {@code steps} itself for a round that only takes
     *     the teacher's guidance into the student
     * @param steps the student's DDIM steps, the grid it is distilled for ({@code sample} uses it)
     * @param guidanceRange for guided distillation, the smallest and largest guidance scale the student was trained at
     *     (it takes the scale as an input, {@code model.guidanceInput}); null (and not written) when it was distilled
     *     without guidance
     */
    public record Distillation(String teacher, int teacherSteps, int steps,
            @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            List<Double> guidanceRange) {
        public Distillation {
            if (teacher == null || teacher.isBlank()) {
                throw new IllegalArgumentException("distillation.teacher is required");
            }
            if (steps < 1 || teacherSteps != 2 * steps && !(teacherSteps == steps && guidanceRange != null)) {
                throw new IllegalArgumentException("distillation.teacherSteps must be twice distillation.steps ≥ 1 (or equal to it with a "
                        + "guidanceRange), got " + teacherSteps + " and " + steps);
            }
            if (guidanceRange != null) {
                guidanceRange = List.copyOf(guidanceRange);
                if (guidanceRange.size() != 2) {
                    throw new IllegalArgumentException("distillation.guidanceRange must be [min, max], got " + guidanceRange);
                }
                requireGuidanceRange(guidanceRange.get(0), guidanceRange.get(1));
            }
        }

        /**
         * Checks a range of guidance scales for guided distillation.
         *
         * @throws IllegalArgumentException unless 0 ≤ min ≤ max, both finite
         */
        public static void requireGuidanceRange(double min, double max) {
            if (!(min >= 0 && max >= min && Double.isFinite(max))) {
                throw new IllegalArgumentException("the guidance range must satisfy 0 ≤ min ≤ max, got " + min + " and " + max);
            }
        }

        /** A round distilled without guidance. */
        public Distillation(String teacher, int teacherSteps, int steps) {
            this(teacher, teacherSteps, steps, null);
        }

        /** Whether the student was distilled with guidance and takes the scale as an input. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean guided() {
            return guidanceRange != null;
        }

        /**
         * Checks that a guided student is asked for a scale it was trained at.
         *
         * @param w the scale asked for
         * @param model what to call the model in the message
         * @throws IllegalArgumentException naming the model, its range and the scale
         */
        public void requireGuidance(double w, String model) {
            if (guided() && !(w >= guidanceRange.get(0) && w <= guidanceRange.get(1))) {
                throw new IllegalArgumentException(model + " is distilled for guidance " + fmt(guidanceRange.get(0)) + " to "
                        + fmt(guidanceRange.get(1)) + ", not " + fmt(w));
            }
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }

    /**
     * How a trained model is sampled when the request leaves it open. Training does not read it: a run's preview grids
     * are drawn without guidance.
     *
     * @param guidance the classifier-free guidance scale of a class-conditional model when none is asked for, ≥ 0
     */
    public record Sampling(double guidance) {
        /**
         * The guidance scale of a model whose configuration sets none: on the built-in MNIST model's checkpoints, 1.5 put
         * the requested digit right 99.6-99.7% of the time (steps 4,076 and 7,700) at a FID 1.23-1.32 times that of
         * plain conditional sampling (docs/RESULTS.md, "The built-in model").
         */
        public static final double DEFAULT_GUIDANCE = 1.5;

        /** The settings of a configuration that names none. */
        public static final Sampling DEFAULTS = new Sampling(DEFAULT_GUIDANCE);

        public Sampling {
            if (!(guidance >= 0) || !Double.isFinite(guidance)) {
                throw new IllegalArgumentException("sampling.guidance must be ≥ 0, got " + guidance);
            }
        }
    }

    public TrainConfig {
        if (audio == null) {
            audio = AudioConfig.defaults();
        }
        if (sampling == null) {
            sampling = Sampling.DEFAULTS;
        }
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
    }

    /** A configuration for image data, with the default audio section. */
    public TrainConfig(DataSpec data, UNetConfig model, Diffusion diffusion, Training training, Output output) {
        this(data, model, diffusion, training, output, AudioConfig.defaults(), List.of());
    }

    /** This configuration with another audio section. */
    public TrainConfig withAudio(AudioConfig a) {
        return new TrainConfig(data, model, diffusion, training, output, a, classNames, distillation, sampling);
    }

    /** This configuration with the class names of its data. */
    public TrainConfig withClassNames(List<String> names) {
        return new TrainConfig(data, model, diffusion, training, output, audio, names, distillation, sampling);
    }

    /** This configuration as a distillation round. */
    public TrainConfig withDistillation(Distillation d) {
        return new TrainConfig(data, model, diffusion, training, output, audio, classNames, d, sampling);
    }

    /** This configuration with another network. */
    public TrainConfig withModel(UNetConfig m) {
        return new TrainConfig(data, m, diffusion, training, output, audio, classNames, distillation, sampling);
    }

    /** This configuration with other training and output settings. */
    public TrainConfig withTraining(Training t, Output o) {
        return new TrainConfig(data, model, diffusion, t, o, audio, classNames, distillation, sampling);
    }

    /** This configuration with other sampling defaults. */
    public TrainConfig withSampling(Sampling s) {
        return new TrainConfig(data, model, diffusion, training, output, audio, classNames, distillation, s);
    }

    /** Whether this is a distilled student. */
    public boolean distilled() {
        return distillation != null;
    }

    /**
     * Checks that a model of this configuration can be sampled at guidance scale w: anything, unless it is a student
     * distilled with guidance, which takes only the scales of its range.
     *
     * @param model what to call the model in the message
     * @throws IllegalArgumentException naming the model, its range and the scale
     */
    public void requireGuidance(double w, String model) {
        if (distilled()) {
            distillation.requireGuidance(w, model);
        }
    }

    /** Whether the data is sound ({@code wav:DIR}). */
    public boolean usesAudio() {
        return data instanceof DataSpec.Wav;
    }

    /**
     * @param schedule {@code linear}, {@code cosine}, {@code sigmoid} or {@code file:PATH}
     * @param timesteps T
     * @param minSnrGamma γ of the {@code MIN_SNR} loss
     */
    public record Diffusion(String schedule, int timesteps, PredictionType prediction, VarianceType variance, LossType loss,
            double minSnrGamma) {
        /** The paper's settings with the default γ. */
        public Diffusion(String schedule, int timesteps, PredictionType prediction, VarianceType variance, LossType loss) {
            this(schedule, timesteps, prediction, variance, loss, GaussianDiffusion.DEFAULT_MIN_SNR_GAMMA);
        }

        /** The schedule tables and equations this describes. */
        public GaussianDiffusion build() {
            return new GaussianDiffusion(NoiseSchedule.of(BetaSchedule.parse(schedule), timesteps), prediction, variance, loss, minSnrGamma);
        }
    }

    /**
     * @param steps total optimiser steps
     * @param batchSize images per step
     * @param lr peak learning rate of AdamW
     * @param warmupSteps linear warm-up from 0 to {@code lr}
     * @param weightDecay AdamW's decoupled weight decay
     * @param beta1 AdamW β1
     * @param beta2 AdamW β2
     * @param adamEps AdamW ε
     * @param gradClip global gradient norm limit (0 turns clipping off)
     * @param emaDecay EMA decay
     * @param emaWarmup use min(decay, (1 + step)/(10 + step)) early on
     * @param seed every random draw derives from it and the step number
     * @param randomFlip mirror images left-right at random
     * @param labelDropout for a class-conditional model, the rate at which a label is replaced by "no
     *     class" (classifier-free guidance needs both)
     * @param lrSchedule what the learning rate does after the warm-up
     * @param decaySteps for {@link LrSchedule#CONSTANT}, the last steps over which the rate falls
     *     linearly to 0 (warm-up, stable, decay); 0: no decay
     */
    public record Training(int steps, int batchSize, double lr, int warmupSteps, double weightDecay, double beta1, double beta2,
            double adamEps, double gradClip, double emaDecay, boolean emaWarmup, long seed, boolean randomFlip, double labelDropout,
            LrSchedule lrSchedule, int decaySteps) {
        public Training {
            if (lrSchedule == null) {
                lrSchedule = LrSchedule.CONSTANT;
            }
        }

        /** Settings with the default label dropout, 0.1, and a constant learning rate after the warm-up. */
        public Training(int steps, int batchSize, double lr, int warmupSteps, double weightDecay, double beta1, double beta2,
                double adamEps, double gradClip, double emaDecay, boolean emaWarmup, long seed, boolean randomFlip) {
            this(steps, batchSize, lr, warmupSteps, weightDecay, beta1, beta2, adamEps, gradClip, emaDecay, emaWarmup, seed, randomFlip, 0.1,
                    LrSchedule.CONSTANT, 0);
        }

        /** These settings with another label dropout. */
        public Training withLabelDropout(double p) {
            return new Training(steps, batchSize, lr, warmupSteps, weightDecay, beta1, beta2, adamEps, gradClip, emaDecay, emaWarmup, seed,
                    randomFlip, p, lrSchedule, decaySteps);
        }
    }

    /** The learning rate after a linear warm-up from 0 to the peak over {@code warmupSteps}. */
    public enum LrSchedule {
        /**
         * The peak until the end, or until the last {@code decaySteps} steps, which take it linearly
         * down to 0 at {@code training.steps} (warm-up, stable, decay). A run can be extended by
         * resuming with more steps, and given its decay then: the steps already taken keep their rate
         * as long as the decay starts after them.
         */
        CONSTANT,
        /**
         * Half a cosine from the peak down to 0 at {@code training.steps} (resuming with more steps
         * changes the rest of the schedule).
         */
        COSINE;

        /** The rate at step k (1-based) of a run of {@code steps} steps whose last {@code decaySteps} decay (CONSTANT only; 0: none). */
        public double at(long k, double peak, int warmupSteps, int steps, int decaySteps) {
            if (warmupSteps > 0 && k < warmupSteps) {
                return peak * ((double) k / warmupSteps);
            }
            if (this == CONSTANT) {
                long left = steps - k; // steps still to take after this one
                return decaySteps > 0 && left < decaySteps ? peak * left / decaySteps : peak;
            }
            if (steps <= warmupSteps) {
                return peak;
            }
            double progress = Math.min(1.0, (double) (k - warmupSteps) / (steps - warmupSteps));
            return peak * 0.5 * (1 + Math.cos(Math.PI * progress));
        }
    }

    /**
     * @param logEvery steps between rows of metrics.csv and log lines
     * @param sampleEvery steps between sample grids (0: only at the end)
     * @param checkpointEvery steps between checkpoints (the last step always writes one)
     * @param keepCheckpoints how many checkpoints to keep
     * @param samples images in each sample grid
     * @param sampleSteps DDIM steps for the sample grids
     */
    public record Output(int logEvery, int sampleEvery, int checkpointEvery, int keepCheckpoints, int samples, int sampleSteps) {}

    /** The defaults: the MNIST UNet, the paper's diffusion, AdamW at 2e-4, EMA 0.999. */
    public static TrainConfig defaults() {
        return new TrainConfig(
                new DataSpec.Embedded(),
                UNetConfig.mnist(),
                new Diffusion("linear", 1000, PredictionType.EPSILON, VarianceType.FIXED_LARGE, LossType.SIMPLE),
                new Training(2000, 64, 2e-4, 200, 0.0, 0.9, 0.999, 1e-8, 1.0, 0.999, true, 0, false, 0.1, LrSchedule.CONSTANT, 0),
                new Output(50, 1000, 1000, 3, 16, 50));
    }

    /** Checks values that the records' types allow but training does not. */
    public TrainConfig validate() {
        Training t = training;
        require(t.steps() >= 1, "training.steps must be at least 1, got " + t.steps());
        require(t.batchSize() >= 1, "training.batchSize must be at least 1, got " + t.batchSize());
        require(t.lr() > 0 && Double.isFinite(t.lr()), "training.lr must be positive, got " + t.lr());
        require(t.warmupSteps() >= 0, "training.warmupSteps must be ≥ 0");
        require(t.beta1() >= 0 && t.beta1() < 1 && t.beta2() >= 0 && t.beta2() < 1, "training.beta1 and beta2 must be in [0, 1)");
        require(t.adamEps() > 0, "training.adamEps must be positive");
        require(t.weightDecay() >= 0, "training.weightDecay must be ≥ 0");
        require(t.gradClip() >= 0, "training.gradClip must be ≥ 0");
        require(t.emaDecay() >= 0 && t.emaDecay() < 1, "training.emaDecay must be in [0, 1), got " + t.emaDecay());
        require(t.decaySteps() == 0 || t.decaySteps() > 0 && t.decaySteps() <= t.steps() - t.warmupSteps(),
                "training.decaySteps must be in [0, steps - warmupSteps] = [0, " + (t.steps() - t.warmupSteps()) + "], got " + t.decaySteps());
        require(t.decaySteps() == 0 || t.lrSchedule() == LrSchedule.CONSTANT,
                "training.decaySteps is for lrSchedule CONSTANT; " + t.lrSchedule() + " sets its own decay");
        require(t.labelDropout() >= 0 && t.labelDropout() <= 1, "training.labelDropout must be in [0, 1], got " + t.labelDropout());
        require(classNames.isEmpty() || classNames.size() == model.classes(),
                "classNames has " + classNames.size() + " names for model.classes = " + model.classes());
        require(diffusion.timesteps() >= 1, "diffusion.timesteps must be at least 1, got " + diffusion.timesteps());
        require(output.logEvery() >= 1 && output.checkpointEvery() >= 1, "output.logEvery and output.checkpointEvery must be ≥ 1");
        require(output.sampleEvery() >= 0 && output.keepCheckpoints() >= 1, "output.sampleEvery ≥ 0 and output.keepCheckpoints ≥ 1");
        require(output.samples() >= 1 && output.sampleSteps() >= 1, "output.samples and output.sampleSteps must be ≥ 1");
        diffusion.build();
        require(distillation == null || 2 * distillation.steps() <= diffusion.timesteps(),
                "distillation.teacherSteps must be at most diffusion.timesteps = " + diffusion.timesteps());
        if (usesAudio()) {
            require(model.channels() == 1 && model.height() == audio.height() && model.width() == audio.frames(),
                    "wav data makes 1 x height x frames images (height: audio.nMels mel bands, or audio.nFft/2 linear bins): "
                            + "model.channels must be 1, model.imageSize the height and "
                            + "model.imageWidth (or imageSize) audio.frames, got " + model.channels() + ", " + model.height() + "x"
                            + model.width() + ", " + audio.height() + "x" + audio.frames());
            require(!training.randomFlip(), "training.randomFlip would play sound backwards; turn it off for wav data");
        }
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}

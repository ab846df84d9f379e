package dev.diffusion4j.cli;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.sample.DpmSolverPlusPlus;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.train.Checkpoint;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options that several commands share, as picocli mixins: one declaration, one meaning, one
 * help text each. A command sets its own default by constructing the mixin with it.
 */
final class SharedOptions {
    private SharedOptions() {}

    /** {@code --checkpoint RUN_DIR|CHECKPOINT_DIR|builtin:NAME}. */
    static final class CheckpointOption {
        @Option(names = "--checkpoint", paramLabel = "DIR",
                description = "A run directory (its newest checkpoint), a checkpoint directory, or builtin:NAME, a model in the jar "
                        + "(mnist, mnist-w16, mnist-fast, mnist-fast-guided, fsdd).")
        Path path;

        /** The path given, or {@code dflt}. */
        Path pathOr(String dflt) {
            return path != null ? path : Path.of(dflt);
        }

        /** Whether the option was given. */
        boolean given() {
            return path != null;
        }

        /** The checkpoint, or a one-line error naming what is wrong. */
        Checkpoint open() {
            return Checkpoints.open(path);
        }

        /** The checkpoint's audio settings, or the built-in ones when none was given. */
        AudioConfig audio() {
            return given() ? open().config().audio() : AudioConfig.defaults();
        }

        /**
         * How sound becomes images for a command that scores with a classifier: the checkpoint's audio section (its
         * training data was mapped so), else the classifier's ({@code classifiers}, null for none), else the built-in settings.
         */
        AudioConfig audioOr(AudioConfig classifiers) {
            return given() || classifiers == null ? audio() : classifiers;
        }
    }

    /**
     * Where a command that turns sound into images takes its audio settings from: {@code --checkpoint RUN} (the run's, with
     * its measured log-mel range), {@code --config FILE} (the {@code audio} keys of a training configuration over the
     * defaults), or neither (the defaults, {@link AudioConfig#defaults()}).
     */
    static final class AudioSettingsOption {
        @Option(names = "--checkpoint", paramLabel = "DIR", description = "Take the audio settings and the log-mel range from this run.")
        Path checkpoint;

        @Option(names = "--config", paramLabel = "FILE",
                description = "Take the audio settings from this training configuration's audio section (over the defaults: "
                        + "64 mel bands x 64 frames, hop 128, window 256, nFft 512, 8 kHz).")
        Path config;

        /** The settings, or a one-line error naming the file that is wrong. */
        AudioConfig resolve() {
            if (checkpoint != null && config != null) {
                throw new UserInputException("give --checkpoint or --config, not both");
            }
            if (checkpoint != null) {
                return Checkpoints.open(checkpoint).config().audio();
            }
            return config != null ? dev.diffusion4j.train.Configs.audioOf(config) : AudioConfig.defaults();
        }
    }

    /** {@code --seed S}. */
    static final class SeedOption {
        @Option(names = "--seed", paramLabel = "S", description = "Seed of every random draw. Default: ${DEFAULT-VALUE}.")
        long seed;

        SeedOption() {}

        SeedOption(long dflt) {
            this.seed = dflt;
        }
    }

    /** {@code --num N}. */
    static final class NumOption {
        @Option(names = "--num", paramLabel = "N", description = "How many samples or images. Default: ${DEFAULT-VALUE}.")
        int num;

        NumOption() {}

        NumOption(int dflt) {
            this.num = dflt;
        }
    }

    /** {@code --batch B} (also {@code --batch-size}). */
    static final class BatchOption {
        @Option(names = {"--batch", "--batch-size"}, paramLabel = "B",
                description = "Images per batch. Default: ${DEFAULT-VALUE}.")
        Integer batch;

        BatchOption() {}

        BatchOption(Integer dflt) {
            this.batch = dflt;
        }
    }

    /** {@code --sampler KIND --steps N --eta E}, parsed into a {@link SamplerSpec}. */
    static final class SamplerOptions {
        @Option(names = "--sampler", paramLabel = "KIND", converter = KindConverter.class,
                description = "ddpm (the paper's Algorithm 2, all T steps), ddim, dpm-solver++ (DPM-Solver++(2M), deterministic) or "
                        + "sde-dpm-solver++ (SDE-DPM-Solver++(2M), fresh noise at each step). "
                        + "Default: ${DEFAULT-VALUE}.")
        SamplerSpec.Kind kind;

        @Option(names = "--steps", paramLabel = "N",
                description = "Model evaluations (default 50 for ddim, 20 for both dpm-solver++); ddpm always takes all T.")
        Integer steps;

        @Option(names = "--grid", paramLabel = "G", converter = GridConverter.class,
                description = "Where the model is evaluated: logsnr (evenly in log-SNR, the default of (sde-)dpm-solver++), uniform (evenly in t "
                        + "from T to 1, the default of ddim) or trailing (at the multiples of T/steps, the grid of a distilled model).")
        DpmSolverPlusPlus.Grid grid;

        @Option(names = "--eta", paramLabel = "E", description = "DDIM's eta (0: deterministic). Default: ${DEFAULT-VALUE}.")
        double eta;

        SamplerOptions() {
            this.kind = SamplerSpec.DEFAULT_KIND;
        }

        /** The parsed choice. */
        SamplerSpec spec() {
            return new SamplerSpec(kind, steps, eta, grid);
        }
    }

    /** {@code logsnr} or {@code uniform}. */
    static final class GridConverter implements ITypeConverter<DpmSolverPlusPlus.Grid> {
        @Override
        public DpmSolverPlusPlus.Grid convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "logsnr", "log-snr" -> DpmSolverPlusPlus.Grid.LOG_SNR;
                case "uniform", "uniform-t" -> DpmSolverPlusPlus.Grid.UNIFORM_T;
                case "trailing" -> DpmSolverPlusPlus.Grid.TRAILING;
                default -> throw new TypeConversionException("unknown grid '" + value + "' (expected logsnr, uniform or trailing)");
            };
        }
    }

    /** Sampler names to kinds, with the list of names in the error. */
    static final class KindConverter implements ITypeConverter<SamplerSpec.Kind> {
        @Override
        public SamplerSpec.Kind convert(String value) {
            try {
                return SamplerSpec.Kind.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}

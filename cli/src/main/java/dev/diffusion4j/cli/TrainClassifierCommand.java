package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.train.Configs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j eval train-classifier}: the feature network for FID on this data. */
@Command(name = "train-classifier", mixinStandardHelpOptions = true,
        description = "Train the small CNN whose features FID uses here, and report its test accuracy.")
public final class TrainClassifierCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--data", required = true, converter = DataSpecConverter.class, description = "Labelled data, e.g. mnist:DIR.")
    private DataSpec data;

    @Option(names = "--out", required = true, description = "The classifier file (.safetensors).")
    private Path out;

    @Option(names = "--epochs", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
    private int epochs;

    @Mixin
    private BatchOption batch = new BatchOption(128);

    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate (cosine decay). Default: ${DEFAULT-VALUE}.")
    private double lr;

    @Mixin
    private SeedOption seed = new SeedOption(0);

    @Option(names = "--size", defaultValue = "28", description = "Image size for images:DIR data. Default: ${DEFAULT-VALUE}.")
    private int size;

    @Option(names = "--channels", defaultValue = "1", description = "Channels for images:DIR data. Default: ${DEFAULT-VALUE}.")
    private int channels;

    /** For wav: data, the audio settings of this run (or of --config); they are stored with the classifier. */
    @Mixin
    private SharedOptions.CheckpointOption checkpoint = new SharedOptions.CheckpointOption();

    @Option(names = "--config", description = "For wav: data without --checkpoint: a training configuration whose audio section to use.")
    private Path configFile;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        Outputs.requireWritableParent(out);
        if (epochs < 1 || batch.batch < 1 || !(lr > 0)) {
            throw new UserInputException("--epochs, --batch and --lr must be positive");
        }
        AudioConfig audio = null;
        ImageDataset train;
        ImageDataset test;
        if (data instanceof DataSpec.Wav wav) {
            // the statistics are measured on the training split when the settings lack them, and then used for both
            AudioDatasets.Loaded loaded = AudioDatasets.load(wav.dir(), Datasets.Split.TRAIN, audioSettings());
            audio = loaded.audio();
            train = loaded.images();
            test = AudioDatasets.load(wav.dir(), Datasets.Split.TEST, audio).images();
        } else {
            train = Datasets.load(data, Datasets.Split.TRAIN, size, channels);
            test = Datasets.load(data, Datasets.Split.TEST, size, channels);
        }
        if (test.labels() == null) {
            throw new UserInputException(test.name() + " has no labels: a classifier needs labelled data");
        }
        Djl.engine();
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            int total = epochs * (train.count() / batch.batch);
            ClassifierTraining.Trained c = ClassifierTraining.train(train, epochs, batch.batch, lr, Randomness.of(seed.seed), m,
                    k -> {
                        if (k % 100 == 0 || k == total) {
                            Outputs.progress(spec.commandLine().getErr(), "step " + k + "/" + total);
                        }
                    });
            Outputs.progressDone(spec.commandLine().getErr());
            double acc = ClassifierTraining.accuracy(c, test, 500, m);
            ClassifierTraining.save(c, out, acc, data.spec(), audio);
            pw.printf(Locale.ROOT, "classifier: test accuracy %.2f%% on %d images (%s), %d epochs, %.1f s -> %s%n", 100 * acc,
                    test.count(), test.name(), epochs, (System.nanoTime() - start) / 1e9, out);
        }
        return 0;
    }

    private AudioConfig audioSettings() {
        if (checkpoint.given()) {
            return checkpoint.audio();
        }
        if (configFile != null) {
            return Configs.audioOf(configFile);
        }
        return AudioConfig.defaults();
    }
}

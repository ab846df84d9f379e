package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.eval.FrechetDistance;
import dev.diffusion4j.io.Npy;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.sample.DdpmSampler;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j eval fid}: Fréchet distance in the project's own classifier features. */
@Command(name = "fid", mixinStandardHelpOptions = true,
        description = "FID in the features of a diffusion4j classifier (not Inception), with the real-vs-real floor, "
                + "the classifier's mean confidence on the samples and the entropy of their predicted classes.")
public final class FidCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--checkpoint", description = "Run or checkpoint directory to sample from.")
    private Path checkpoint;

    @Option(names = "--samples", description = "An (N, C, H, W) uint8 .npy of samples made earlier, instead of --checkpoint.")
    private Path samples;

    @Option(names = "--classifier", required = true, description = "From eval train-classifier.")
    private Path classifierFile;

    @Option(names = "--data", required = true, description = "Real data, e.g. mnist:DIR (its test split is the reference).")
    private String data;

    @Option(names = "--num", defaultValue = "10000", description = "Samples and real images. Default: ${DEFAULT-VALUE}.")
    private int num;

    @Option(names = "--sampler", defaultValue = "ddim", description = "ddpm or ddim. Default: ${DEFAULT-VALUE}.")
    private String sampler;

    @Option(names = "--steps", defaultValue = "50", description = "DDIM steps. Default: ${DEFAULT-VALUE}.")
    private int steps;

    @Option(names = "--batch", defaultValue = "64", description = "Sampling batch (larger batches make tensors the allocator maps afresh each time; see docs/PERFORMANCE.md). Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--seed", defaultValue = "0")
    private long seed;

    /** Seeds the random choice of real subsets. */
    static final long SUBSET_SEED = 20200619L;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if ((checkpoint == null) == (samples == null)) {
            throw new UserInputException("give exactly one of --checkpoint and --samples");
        }
        if (num < 2 || batch < 1) {
            throw new UserInputException("--num must be at least 2 and --batch at least 1");
        }
        Djl.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = ClassifierTraining.load(classifierFile, m);
            DataSpec ds = DataSpec.parse(data);
            // the checkpoint's audio section maps sound to images exactly as its training data was mapped
            AudioConfig audio = Checkpoints.audio(checkpoint);
            // subsets are drawn at random (fixed seed): files sorted by name can be sorted by class
            ImageDataset allTest = Datasets.load(ds, Datasets.Split.TEST, c.imageSize(), c.channels(), audio).shuffled(SUBSET_SEED);
            ImageDataset test = allTest.head(num);
            ImageDataset otherTest = allTest.count() >= 2 * num ? allTest.slice(num, 2 * num) : null;
            ImageDataset train = Datasets.load(ds, Datasets.Split.TRAIN, c.imageSize(), c.channels(), audio).shuffled(SUBSET_SEED).head(num);
            long start = System.nanoTime();
            ImageDataset generated;
            String what;
            if (samples != null) {
                Npy.Uint8 a = Npy.read(samples);
                if (a.shape()[1] != c.channels() || a.shape()[2] != c.imageSize() || a.shape()[3] != c.imageSize()) {
                    throw new UserInputException(samples + ": shape " + Arrays.toString(a.shape()) + " does not match the classifier's "
                            + c.channels() + "x" + c.imageSize() + "x" + c.imageSize());
                }
                generated = new ImageDataset(samples.toString(), a.shape()[0], a.shape()[1], a.shape()[2], a.shape()[3], a.data(), null);
                what = samples.toString();
            } else {
                Checkpoint ckpt = Checkpoints.open(checkpoint);
                GaussianDiffusion d = ckpt.config().diffusion().build();
                Sampler s = sampler.equalsIgnoreCase("ddpm") ? new DdpmSampler(d) : new DdimSampler(d, steps, 0);
                UNet model = ckpt.model(m, true);
                ParameterStore ps = new ParameterStore(m, false);
                int ch = ckpt.config().model().channels();
                int hw = ckpt.config().model().imageSize();
                byte[] px = SamplingLoop.generate((xt, t) -> model.forward(ps, xt, t, false), s, num, batch, ch, hw, seed, m, null,
                        k -> Outputs.progress(spec.commandLine().getErr(), k + "/" + num + " samples"));
                Outputs.progressDone(spec.commandLine().getErr());
                generated = new ImageDataset("samples", num, ch, hw, hw, px, null);
                what = ckpt.dir() + ", " + (s instanceof DdpmSampler ? "DDPM-" + d.schedule().steps() : "DDIM-" + steps);
            }
            double sampleSecs = (System.nanoTime() - start) / 1e9;
            ClassifierTraining.Summary gen = ClassifierTraining.summarise(c, generated, 500, m);
            ClassifierTraining.Summary real = ClassifierTraining.summarise(c, test, 500, m);
            ClassifierTraining.Summary realTrain = ClassifierTraining.summarise(c, train, 500, m);
            double fid = FrechetDistance.of(gen.moments(), real.moments());
            double floor = FrechetDistance.of(realTrain.moments(), real.moments());
            double unseenFloor = otherTest == null ? Double.NaN
                    : FrechetDistance.of(ClassifierTraining.summarise(c, otherTest, 500, m).moments(), real.moments());
            pw.printf(Locale.ROOT, "FID (diffusion4j %s classifier) %.3f   [%s, %d samples vs %d test images]%n", c.classes() == 10 ? "10-class" : "",
                    fid, what, generated.count(), test.count());
            pw.printf(Locale.ROOT, "real-vs-real floor (%d random train vs %d test images) %.3f%n", train.count(), test.count(), floor);
            if (otherTest != null) {
                // the classifier was trained on the training images, so their features sit apart from unseen ones:
                // two disjoint sets of test images give the floor for images it has not seen, as samples are
                pw.printf(Locale.ROOT, "real-vs-real floor, unseen images (%d test images vs %d others) %.3f%n", num, num, unseenFloor);
            }
            pw.printf(Locale.ROOT, "classifier mean confidence on samples %.4f (on test images %.4f)%n", gen.confidence(), real.confidence());
            pw.printf(Locale.ROOT, "predicted-class entropy of samples %.4f bits (max %.4f; test images %.4f), histogram %s%n",
                    gen.classEntropyBits(), Math.log(c.classes()) / Math.log(2), real.classEntropyBits(), Arrays.toString(gen.histogram()));
            pw.printf(Locale.ROOT, "sampling wall time %.1f s%n", sampleSecs);
        }
        return 0;
    }
}

package dev.diffusion4j.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Gradients;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.StopRequests;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.Weights;
import dev.diffusion4j.optim.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/** Trains, saves, loads and applies the {@link Classifier}. */
public final class ClassifierTraining {
    /**
     * Images per classifier call where a FID is measured ({@code eval fid}, {@code eval edit}, the Spark layer's FidJob).
     * A feature depends only on its image, but the last bits of a batched convolution can depend on the batch, so a
     * FID computed in pieces cuts them at multiples of this and so makes the same calls as one computed whole.
     */
    public static final int FEATURE_BATCH = 500;

    private ClassifierTraining() {}

    /** A trained classifier with its shape. */
    public record Trained(Classifier net, ParameterStore ps, int channels, int height, int width, int classes, AudioConfig audio) {
        /** Penultimate features and class probabilities of a batch in [-1, 1]. */
        public double[][][] featuresAndProbabilities(NDArray x) {
            NDArray f = net.features(ps, x, false);
            NDArray p = net.logits(ps, f, false).softmax(1);
            return new double[][][] {rows(f), rows(p)};
        }
    }

    static double[][] rows(NDArray a) {
        int n = (int) a.getShape().get(0);
        int d = (int) a.getShape().get(1);
        float[] v = a.toFloatArray();
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                out[i][j] = v[i * d + j];
            }
        }
        return out;
    }

    /**
     * Trains with cross-entropy and AdamW (cosine-decayed learning rate) for {@code epochs} passes
     * over {@code train}, each in an order drawn from {@code rng}.
     */
    public static Trained train(ImageDataset train, int epochs, int batch, double lr, Randomness rng, NDManager m,
            IntConsumer progress) {
        if (train.labels() == null) {
            throw new IllegalArgumentException(train.name() + " has no labels to train a classifier on");
        }
        int classes = java.util.Arrays.stream(train.labels()).max().orElse(0) + 1;
        Classifier net = new Classifier(train.channels(), train.height(), train.width(), classes);
        net.initializeParameters(m, rng.derive("initial weights"));
        ParameterStore ps = new ParameterStore(m, false);
        Map<String, Parameter> params = net.namedParameters();
        int stepsPerEpoch = train.count() / batch;
        long total = (long) epochs * stepsPerEpoch;
        long step = 0;
        try (AdamW opt = new AdamW(m, 0.9, 0.999, 1e-8, 0.0)) {
            for (int e = 0; e < epochs; e++) {
                int[] order = rng.derive("epoch order").step(e).permutation(train.count());
                for (int s = 0; s < stepsPerEpoch; s++) {
                    step++;
                    int[] idx = java.util.Arrays.copyOfRange(order, s * batch, (s + 1) * batch);
                    double rate = lr * 0.5 * (1 + Math.cos(Math.PI * step / total));
                    try (NDManager sm = m.newSubManager()) {
                        crossEntropyBackward(net, ps, train, idx, classes, sm);
                        opt.update(params, Gradients.of(params, sm), rate, sm);
                        Gradients.zero(params);
                    }
                    if (progress != null) {
                        progress.accept((int) step);
                    }
                    StopRequests.check("no classifier written");
                }
            }
        }
        return new Trained(net, ps, train.channels(), train.height(), train.width(), classes, null);
    }

    /** The mean cross-entropy of a batch, backpropagated into the parameters' gradients. */
    private static void crossEntropyBackward(Classifier net, ParameterStore ps, ImageDataset train, int[] idx, int classes, NDManager sm) {
        long[] labels = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            labels[i] = train.labels()[idx[i]];
        }
        NDArray x = train.batch(sm, idx, null);
        NDArray y = sm.create(labels).oneHot(classes);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logp = net.logits(ps, net.features(ps, x, true), true).logSoftmax(1);
            gc.backward(logp.mul(y).sum(new int[] {1}).neg().mean());
        }
    }

    /** The fraction of {@code data} classified right. */
    public static double accuracy(Trained c, ImageDataset data, int batch, NDManager m) {
        int right = 0;
        for (int from = 0; from < data.count(); from += batch) {
            int b = Math.min(batch, data.count() - from);
            int[] idx = java.util.stream.IntStream.range(from, from + b).toArray();
            try (NDManager sm = m.newSubManager()) {
                double[][] p = c.featuresAndProbabilities(data.batch(sm, idx, null))[1];
                for (int i = 0; i < b; i++) {
                    if (argmax(p[i]) == data.labels()[from + i]) {
                        right++;
                    }
                }
            }
        }
        return (double) right / data.count();
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Saves weights and shape as one safetensors file; for sound, also the audio settings (with their
     * log-mel statistics) that made its inputs, so that every later analysis matches.
     */
    public static void save(Trained c, Path file, double accuracy, String data, AudioConfig audio) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "diffusion4j-classifier-v1");
        meta.put("channels", Integer.toString(c.channels()));
        meta.put("imageSize", Integer.toString(c.height()));
        meta.put("imageWidth", Integer.toString(c.width()));
        meta.put("classes", Integer.toString(c.classes()));
        meta.put("testAccuracy", Double.toString(accuracy));
        meta.put("data", data);
        if (audio != null) {
            meta.put("audio", AUDIO_JSON.writeValueAsString(audio));
        }
        SafeTensors.write(file, Weights.of(c.net()), meta);
    }

    /** Loads a classifier saved by {@link #save}. */
    public static Trained load(Path file, NDManager m) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, String> meta = contents.metadata();
        if (!"diffusion4j-classifier-v1".equals(meta.get("format"))) {
            throw new IOException(file + ": not a diffusion4j classifier (format " + meta.get("format") + ")");
        }
        int ch = Integer.parseInt(meta.get("channels"));
        int size = Integer.parseInt(meta.get("imageSize"));
        int width = Integer.parseInt(meta.getOrDefault("imageWidth", meta.get("imageSize")));
        int classes = Integer.parseInt(meta.get("classes"));
        Classifier net = new Classifier(ch, size, width, classes);
        Weights.initialize(net, m, contents.tensors(), file.toString());
        AudioConfig audio = null;
        if (meta.containsKey("audio")) {
            try {
                audio = AUDIO_JSON.readValue(meta.get("audio"), AudioConfig.class);
            } catch (IOException | IllegalArgumentException e) {
                throw new IOException(file + ": bad audio settings in its metadata (" + e.getMessage().split("\n")[0] + ")");
            }
        }
        return new Trained(net, new ParameterStore(m, false), ch, size, width, classes, audio);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper AUDIO_JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Features, mean confidence (max probability) and the entropy in bits of the predicted-class histogram. */
    public record Summary(FrechetDistance.Moments moments, double confidence, double classEntropyBits, int[] histogram) {}

    /** Summarises images (8-bit NCHW pixels wrapped as a data set) through the classifier. */
    public static Summary summarise(Trained c, ImageDataset images, int batch, NDManager m) {
        int n = images.count();
        double[][] feats = new double[n][];
        int[] hist = new int[c.classes()];
        double conf = 0;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            int[] idx = java.util.stream.IntStream.range(from, from + b).toArray();
            try (NDManager sm = m.newSubManager()) {
                double[][][] fp = c.featuresAndProbabilities(images.batch(sm, idx, null));
                for (int i = 0; i < b; i++) {
                    feats[from + i] = fp[0][i];
                    int k = argmax(fp[1][i]);
                    hist[k]++;
                    conf += fp[1][i][k] / n;
                }
            }
        }
        return new Summary(FrechetDistance.Moments.of(feats), conf, ClassEntropy.bits(hist), hist);
    }

    /**
     * The sufficient statistics of the classifier's features of {@code images}, computed in batches of {@code batch}
     * from the first image on, as {@link #summarise} computes them: the statistics of consecutive pieces that start at
     * multiples of {@code batch} add up to those of the whole.
     */
    public static FeatureStatistics statistics(Trained c, ImageDataset images, int batch, NDManager m) {
        FeatureStatistics s = FeatureStatistics.empty(Classifier.FEATURES);
        for (int from = 0; from < images.count(); from += batch) {
            int b = Math.min(batch, images.count() - from);
            int[] idx = java.util.stream.IntStream.range(from, from + b).toArray();
            try (NDManager sm = m.newSubManager()) {
                s = s.plus(FeatureStatistics.of(Classifier.FEATURES, c.featuresAndProbabilities(images.batch(sm, idx, null))[0]));
            }
        }
        return s;
    }
}

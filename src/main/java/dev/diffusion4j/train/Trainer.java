package dev.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.NativeMemory;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.sample.SamplingLoop;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training loop, one readable {@link #step()} at a time: sample t uniformly, noise x_0 with (4),
 * predict, take the loss (25) or (24), backpropagate, clip the global gradient norm, update with
 * AdamW (linear warm-up), and move the EMA weights.
 *
 * <p>Every random draw of step k (batch, t, flips, noise, dropout) derives from the seed and k
 * alone, so N steps, a checkpoint, a resume and N more steps give the same weights, bit for bit, as
 * 2N steps at once. Each step runs in its own NDManager scope, so native memory stays flat.
 */
public final class Trainer implements AutoCloseable {
    private final TrainConfig config;
    private final GaussianDiffusion diffusion;
    private final ImageDataset data;
    private final NDManager root;
    private final UNet model;
    private final UNet ema;
    private final ParameterStore ps;
    private final ParameterStore emaPs;
    private final Map<String, Parameter> modelParams;
    private final Map<String, Parameter> emaParams;
    private final AdamW optimizer;
    private final Ema emaRule;
    private long step;
    private int[] permutation;
    private long permutationEpoch = -1;

    private Trainer(TrainConfig config, ImageDataset data) {
        this.config = config;
        this.diffusion = config.diffusion().build();
        this.data = data;
        requireMatchingData(config, data);
        Djl.engine();
        this.root = NDManager.newBaseManager();
        this.model = new UNet(config.model());
        this.ema = new UNet(config.model());
        this.ps = new ParameterStore(root, false);
        this.emaPs = new ParameterStore(root, false);
        TrainConfig.Training t = config.training();
        this.optimizer = new AdamW(root, t.beta1(), t.beta2(), t.adamEps(), t.weightDecay());
        this.emaRule = new Ema(t.emaDecay(), t.emaWarmup());
        this.modelParams = model.namedParameters();
        this.emaParams = ema.namedParameters();
    }

    static void requireMatchingData(TrainConfig c, ImageDataset d) {
        if (d.channels() != c.model().channels() || d.height() != c.model().imageSize() || d.width() != c.model().imageSize()) {
            throw new IllegalArgumentException(d.name() + " has " + d.width() + "x" + d.height() + "x" + d.channels()
                    + " images but the model expects " + c.model().imageSize() + "x" + c.model().imageSize() + "x"
                    + c.model().channels() + " (set model.imageSize and model.channels)");
        }
    }

    /** A new run: weights drawn from the seed, EMA equal to them, optimiser empty. */
    public static Trainer fresh(TrainConfig config, ImageDataset data) {
        Trainer tr = new Trainer(config, data);
        Engine.getInstance().setRandomSeed(seedInt(config.training().seed(), -1));
        tr.model.initializeParameters(tr.root);
        Weights.initialize(tr.ema, tr.root, Weights.of(tr.model), "initial weights");
        return tr;
    }

    /**
     * Continues a run from a checkpoint.
     *
     * @param config the checkpoint's configuration, possibly with more steps
     * @throws IOException or IllegalArgumentException naming the file that does not fit
     */
    public static Trainer resume(Checkpoint ckpt, TrainConfig config, ImageDataset data) throws IOException {
        if (!ckpt.config().model().equals(config.model()) || !ckpt.config().diffusion().equals(config.diffusion())) {
            throw new IllegalArgumentException(ckpt.dir() + ": the model or diffusion settings differ from the checkpoint's");
        }
        Trainer tr = new Trainer(config, data);
        try {
            Weights.initialize(tr.model, tr.root, ckpt.tensors("model"), ckpt.dir().resolve("model.safetensors").toString());
            Weights.initialize(tr.ema, tr.root, ckpt.tensors("ema"), ckpt.dir().resolve("ema.safetensors").toString());
            tr.optimizer.load(tr.modelParams, ckpt.tensors("optimizer"), ckpt.state().step(),
                    ckpt.dir().resolve("optimizer.safetensors").toString());
        } catch (IOException | RuntimeException e) {
            tr.close();
            throw e;
        }
        tr.step = ckpt.state().step();
        return tr;
    }

    /** The number of steps taken. */
    public long currentStep() {
        return step;
    }

    /** The configuration. */
    public TrainConfig config() {
        return config;
    }

    /** The diffusion. */
    public GaussianDiffusion diffusion() {
        return diffusion;
    }

    /** The learning rate at step k: linear warm-up to the peak, then constant. */
    public double lrAt(long k) {
        TrainConfig.Training t = config.training();
        return t.warmupSteps() > 0 ? t.lr() * Math.min(1.0, (double) k / t.warmupSteps()) : t.lr();
    }

    /**
     * Every this many steps the native heaps' free pages go back to the kernel
     * ({@link NativeMemory#trim()}), so that resident memory stays flat over long runs.
     */
    static final int TRIM_EVERY = 200;

    /** One optimiser step. */
    public StepStats step() {
        long k = step + 1;
        TrainConfig.Training tc = config.training();
        int b = tc.batchSize();
        int n = diffusion.schedule().steps();
        SplittableRandom rng = new SplittableRandom(mix(tc.seed(), k));
        int[] idx = batchIndices(k, b);
        long[] ts = new long[b];
        boolean[] flip = new boolean[b];
        for (int i = 0; i < b; i++) {
            ts[i] = 1 + rng.nextInt(n);
            flip[i] = tc.randomFlip() && rng.nextBoolean();
        }
        Engine.getInstance().setRandomSeed(seedInt(tc.seed(), k));
        double lr = lrAt(k);
        StepStats stats;
        try (NDManager sm = root.newSubManager()) {
            NDArray x0 = data.batch(sm, idx, tc.randomFlip() ? flip : null);
            NDArray t = sm.create(ts);
            NDArray noise = sm.randomNormal(x0.getShape());
            NDArray xt = diffusion.qSample(x0, t, noise);
            NDArray perItem;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = model.forward(ps, xt, t, true);
                perItem = diffusion.trainingLoss(out, x0, xt, t, noise);
                gc.backward(perItem.mean());
            }
            Map<String, NDArray> grads = new LinkedHashMap<>();
            NDArray sumSq = null;
            for (Map.Entry<String, Parameter> e : modelParams.entrySet()) {
                NDArray g = e.getValue().getArray().getGradient();
                g.attach(sm);
                grads.put(e.getKey(), g);
                NDArray s = g.square().sum();
                sumSq = sumSq == null ? s : sumSq.add(s);
            }
            double norm = Math.sqrt(sumSq.getFloat());
            float[] losses = perItem.toFloatArray();
            double loss = 0;
            for (float l : losses) {
                loss += l;
            }
            loss /= losses.length;
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                throw new DivergedException(k, loss, norm);
            }
            if (tc.gradClip() > 0 && norm > tc.gradClip()) {
                NDArray scale = Ops.scalar(sm, tc.gradClip() / (norm + 1e-6));
                for (NDArray g : grads.values()) {
                    g.muli(scale);
                }
            }
            optimizer.update(modelParams, grads, lr, sm);
            for (Parameter p : modelParams.values()) {
                JniUtils.zeroGrad((PtNDArray) p.getArray());
            }
            emaRule.update(modelParams, emaParams, k, sm);
            step = k;
            stats = new StepStats(k, loss, losses, ts, norm, lr);
        }
        if (k % TRIM_EVERY == 0) {
            NativeMemory.trim();
        }
        return stats;
    }

    /** The dataset indices of the batch of step k: shuffled epochs, each a permutation drawn from the seed. */
    int[] batchIndices(long k, int b) {
        int[] out = new int[b];
        long n = data.count();
        for (int i = 0; i < b; i++) {
            long g = (k - 1) * b + i;
            long epoch = g / n;
            if (epoch != permutationEpoch) {
                permutation = permutation(epoch);
                permutationEpoch = epoch;
            }
            out[i] = permutation[(int) (g % n)];
        }
        return out;
    }

    private int[] permutation(long epoch) {
        int[] p = new int[data.count()];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(mix(config.training().seed() ^ 0x5DEECE66DL, epoch));
        for (int i = p.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    /** Writes a checkpoint of the current step. */
    public java.nio.file.Path checkpoint(java.nio.file.Path runDir) throws IOException {
        return Checkpoint.save(runDir, config, step, Weights.of(model), Weights.of(ema), optimizer.state(),
                config.output().keepCheckpoints());
    }

    /** Model, EMA and optimiser state as named tensors (for tests and checkpoints). */
    public Map<String, Map<String, SafeTensors.Tensor>> state() {
        return Map.of("model", Weights.of(model), "ema", Weights.of(ema), "optimizer", optimizer.state());
    }

    /**
     * Samples from the EMA weights with DDIM ({@code output.sampleSteps} steps, η = 0) from a fixed
     * seed, as 8-bit NCHW pixels.
     */
    public byte[] sampleEma(int count, long seed) {
        DdimSampler sampler = new DdimSampler(diffusion, Math.min(config.output().sampleSteps(), diffusion.schedule().steps()), 0);
        int c = config.model().channels();
        int s = config.model().imageSize();
        try (NDManager m = root.newSubManager()) {
            NDArray x = SamplingLoop.sample((xt, t) -> ema.forward(emaPs, xt, t, false), sampler,
                    new ai.djl.ndarray.types.Shape(count, c, s, s), seed, m, null, null);
            return SamplingLoop.toBytes(x);
        }
    }

    static long mix(long seed, long k) {
        long z = seed * 0x9E3779B97F4A7C15L + k * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int seedInt(long seed, long k) {
        long z = mix(seed, k);
        return (int) (z ^ (z >>> 32)) & 0x7fffffff;
    }

    @Override
    public void close() {
        optimizer.close();
        root.close();
    }
}

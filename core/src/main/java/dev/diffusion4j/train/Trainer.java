package dev.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Gradients;
import dev.diffusion4j.engine.NativeMemory;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.Weights;
import dev.diffusion4j.optim.AdamW;
import dev.diffusion4j.optim.Ema;
import java.io.IOException;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training loop, one readable {@link #step()} at a time: sample t uniformly, noise x_0 with (4),
 * predict, take the loss (25) or (24), backpropagate, clip the global gradient norm, update with
 * AdamW (linear warm-up), and move the EMA weights.
 *
 * <p>Every random draw of step k (batch, t, flips, noise, dropout) comes from a {@link Randomness}
 * derived from the seed and k alone, so N steps, a checkpoint, a resume and N more steps give the same weights, bit for bit, as
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
    private final Randomness rng;
    private final Objective objective;

    private Trainer(TrainConfig config, ImageDataset data, java.util.function.Function<GaussianDiffusion, Objective> objective) {
        this.config = config;
        this.diffusion = config.diffusion().build();
        this.objective = objective.apply(diffusion);
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
        this.rng = Randomness.of(config.training().seed());
    }

    /**
     * Checks that the data fits the model: image shape, and labels within model.classes for a
     * class-conditional one.
     *
     * @throws IllegalArgumentException naming the data and what does not fit
     */
    public static void requireMatchingData(TrainConfig c, ImageDataset d) {
        if (d.channels() != c.model().channels() || d.height() != c.model().height() || d.width() != c.model().width()) {
            throw new IllegalArgumentException(d.name() + " has " + d.width() + "x" + d.height() + "x" + d.channels()
                    + " images but the model expects " + c.model().width() + "x" + c.model().height() + "x"
                    + c.model().channels() + " (set model.imageSize, model.imageWidth and model.channels)");
        }
        if (c.model().conditional()) {
            if (d.labels() == null) {
                throw new IllegalArgumentException(d.name() + " has no class labels, but model.classes = " + c.model().classes()
                        + " asks for them (set model.classes: 0 to train without)");
            }
            int max = java.util.Arrays.stream(d.labels()).max().orElse(0);
            if (max >= c.model().classes()) {
                throw new IllegalArgumentException(d.name() + " has class label " + max + ", outside model.classes = "
                        + c.model().classes() + " (labels 0.." + (c.model().classes() - 1) + ")");
            }
        }
    }

    /** A new run: weights drawn from the seed, EMA equal to them, optimiser empty. */
    public static Trainer fresh(TrainConfig config, ImageDataset data) {
        Trainer tr = new Trainer(config, data, Objective::denoising);
        tr.model.initializeParameters(tr.root, tr.rng.derive("initial weights"));
        Weights.initialize(tr.ema, tr.root, Weights.of(tr.model), "initial weights");
        return tr;
    }

    /**
     * A new run that starts from given weights (model and EMA both), with its own objective: a distilled student
     * starts as its teacher.
     *
     * @param weights named tensors of {@code config.model()}'s network
     * @param source what to call the weights in errors
     * @param objective the objective for this run's diffusion
     * @throws IllegalArgumentException naming {@code source} when the weights do not fit the network
     */
    public static Trainer startingFrom(TrainConfig config, ImageDataset data, Map<String, SafeTensors.Tensor> weights, String source,
            java.util.function.Function<GaussianDiffusion, Objective> objective) {
        Trainer tr = new Trainer(config, data, objective);
        try {
            Weights.initialize(tr.model, tr.root, weights, source);
            Weights.initialize(tr.ema, tr.root, weights, source);
        } catch (RuntimeException e) {
            tr.close();
            throw e;
        }
        return tr;
    }

    /**
     * Continues a run from a checkpoint.
     *
     * @param config the checkpoint's configuration, possibly with more steps
     * @throws IOException or IllegalArgumentException naming the file that does not fit
     */
    public static Trainer resume(Checkpoint ckpt, TrainConfig config, ImageDataset data) throws IOException {
        return resume(ckpt, config, data, Objective::denoising);
    }

    /**
     * Continues a run from a checkpoint, with its own objective.
     *
     * @param config the checkpoint's configuration, possibly with more steps
     * @param objective the objective for this run's diffusion
     * @throws IOException or IllegalArgumentException naming the file that does not fit
     */
    public static Trainer resume(Checkpoint ckpt, TrainConfig config, ImageDataset data,
            java.util.function.Function<GaussianDiffusion, Objective> objective) throws IOException {
        if (!ckpt.config().model().equals(config.model()) || !ckpt.config().diffusion().equals(config.diffusion())) {
            throw new IllegalArgumentException(ckpt.dir() + ": the model or diffusion settings differ from the checkpoint's");
        }
        Trainer tr = new Trainer(config, data, objective);
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

    /** The learning rate at step k ({@link TrainConfig.LrSchedule}). */
    public double lrAt(long k) {
        TrainConfig.Training t = config.training();
        return t.lrSchedule().at(k, t.lr(), t.warmupSteps(), t.steps(), t.decaySteps());
    }

    /**
     * Every this many steps the native heaps' free pages go back to the kernel
     * ({@link NativeMemory#trim()}), so that resident memory stays flat over long runs.
     */
    static final int TRIM_EVERY = 200;

    /** One optimiser step, as a list of stages. */
    public StepStats step() {
        long k = step + 1;
        Draws draws = draws(k);
        StepStats stats;
        try (Gradients.NotRecording quiet = Gradients.notRecording(); NDManager sm = root.newSubManager()) {
            NDArray perItem = lossAndBackward(sm, draws);
            Map<String, NDArray> grads = Gradients.of(modelParams, sm);
            double norm = Gradients.globalNorm(grads.values());
            float[] losses = perItem.toFloatArray();
            double loss = mean(losses);
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                throw new DivergedException(k, loss, norm);
            }
            clip(grads, norm, sm);
            optimizer.update(modelParams, grads, lrAt(k), sm);
            Gradients.zero(modelParams);
            emaRule.update(modelParams, emaParams, k, sm);
            step = k;
            stats = new StepStats(k, loss, losses, draws.timesteps(), norm, lrAt(k));
        }
        if (k % TRIM_EVERY == 0) {
            NativeMemory.trim();
        }
        return stats;
    }

    /**
     * What step k draws at random: the batch, its timesteps, flips and (for a class-conditional
     * model) labels with some dropped to "no class", (for a guided objective) each item's guidance scale, and the
     * generator of its noise and dropout.
     */
    record Draws(int[] indices, long[] timesteps, boolean[] flips, long[] labels, float[] guidance, Randomness step) {}

    Draws draws(long k) {
        TrainConfig.Training tc = config.training();
        int b = tc.batchSize();
        Randomness step = rng.derive("step").step(k);
        SplittableRandom r = step.derive("timesteps and flips").stream();
        long[] ts = new long[b];
        boolean[] flip = new boolean[b];
        for (int i = 0; i < b; i++) {
            ts[i] = objective.timestep(r);
            flip[i] = tc.randomFlip() && r.nextBoolean();
        }
        int[] idx = batchIndices(k, b);
        return new Draws(idx, ts, tc.randomFlip() ? flip : null, labels(idx, step.derive("label dropout")),
                guidance(b, step.derive("guidance")), step);
    }

    /** Each item's guidance scale, drawn by a guided objective; null for any other. */
    private float[] guidance(int b, Randomness draws) {
        if (!objective.guided()) {
            return null;
        }
        SplittableRandom r = draws.stream();
        float[] w = new float[b];
        for (int i = 0; i < b; i++) {
            w[i] = (float) objective.guidance(r);
        }
        return w;
    }

    /** The batch's class labels, each replaced by "no class" at rate {@code training.labelDropout}; null when unconditional. */
    private long[] labels(int[] idx, Randomness dropout) {
        if (!config.model().conditional()) {
            return null;
        }
        SplittableRandom r = dropout.stream();
        double p = config.training().labelDropout();
        long[] y = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            y[i] = r.nextDouble() < p ? config.model().nullLabel() : data.labels()[idx[i]];
        }
        return y;
    }

    /** Noises the batch with (4), predicts, and backpropagates the objective's mean loss; returns the loss per item. */
    private NDArray lossAndBackward(NDManager sm, Draws draws) {
        NDArray x0 = data.batch(sm, draws.indices(), draws.flips());
        NDArray t = sm.create(draws.timesteps());
        NDArray noise = draws.step().derive("noise").normal(sm, x0.getShape());
        NDArray xt = diffusion.qSample(x0, t, noise);
        NDArray labels = draws.labels() == null ? null : sm.create(draws.labels());
        NDArray w = draws.guidance() == null ? null : sm.create(draws.guidance());
        NDArray target = objective.target(x0, xt, t, labels, w);
        draws.step().derive("dropout").seedEngine();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = model.forward(ps, xt, t, labels, w, true);
            NDArray perItem = objective.loss(out, x0, xt, t, noise, target);
            gc.backward(perItem.mean());
            return perItem;
        }
    }

    private static double mean(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x;
        }
        return sum / v.length;
    }

    /** Scales the gradients down to the global norm {@code training.gradClip} when they exceed it. */
    private void clip(Map<String, NDArray> grads, double norm, NDManager sm) {
        double limit = config.training().gradClip();
        if (limit > 0 && norm > limit) {
            Gradients.scale(grads.values(), limit / (norm + 1e-6), sm);
        }
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
        return rng.derive("epoch order").step(epoch).permutation(data.count());
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

    /** The EMA weights as the network a sampler calls (no gradient, no dropout). */
    public Denoiser emaDenoiser() {
        return Denoiser.of(ema, emaPs);
    }

    /** The number of trainable scalars. */
    public long parameterCount() {
        return model.parameterCount();
    }

    @Override
    public void close() {
        optimizer.close();
        root.close();
    }
}

package dev.diffusion4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.ClassNames;
import dev.diffusion4j.data.Pixels;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.sample.Guidance;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Builtins;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.TrainConfig;
import java.io.IOException;
import java.util.List;

/**
 * A trained model, ready to sample:
 * <pre>{@code
 * try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
 *     Samples sevens = model.sample(SampleRequest.builder().count(16).label("7").build());
 *     sevens.writeGrid(Path.of("sevens.png"));
 * }
 * }</pre>
 * Opening starts the engine (once per process; it also sets the native allocator for the whole process, docs/ENGINE.md)
 * and reads the weights into native memory, which {@link #close()} frees. A call frees its own native memory when it
 * ends, also when it is cancelled or its thread interrupted. One instance is not thread-safe: give each thread its own
 * (they may read the same checkpoint), or call {@link #sample} from one thread at a time.
 */
public final class DiffusionModel implements AutoCloseable {
    private final Checkpoint checkpoint;
    private final NDManager manager;
    private final UNet network;
    private final ModelInfo info;

    private DiffusionModel(Checkpoint checkpoint, NDManager manager, UNet network) {
        this.checkpoint = checkpoint;
        this.manager = manager;
        this.network = network;
        TrainConfig c = checkpoint.config();
        UNetConfig mc = c.model();
        this.info = new ModelInfo(checkpoint.name(), c.usesAudio(), mc.channels(), mc.height(), mc.width(), mc.classes(), c.classNames(),
                c.diffusion().prediction(), c.diffusion().schedule(), c.diffusion().timesteps(), checkpoint.state().step(),
                network.parameterCount());
    }

    /**
     * Opens a model with its EMA weights.
     *
     * @param source where the model comes from
     * @return the open model, which the caller closes
     * @throws IOException naming the file that is missing or wrong
     */
    public static DiffusionModel open(ModelSource source) throws IOException {
        return open(source, Weights.EMA);
    }

    /**
     * Opens a model with the weights named.
     *
     * @param source where the model comes from
     * @param weights which of the checkpoint's weights to sample with
     * @return the open model, which the caller closes
     * @throws IOException naming the file that is missing or wrong
     * @throws IllegalArgumentException for {@link Weights#RAW} of a built-in model, which ships only its EMA weights
     */
    public static DiffusionModel open(ModelSource source, Weights weights) throws IOException {
        if (weights == Weights.RAW && Builtins.names(source.path())) {
            throw new IllegalArgumentException("weights RAW: a built-in model ships only its EMA weights");
        }
        Checkpoint ckpt = Checkpoint.open(source.path());
        Djl.engine();
        NDManager m = NDManager.newBaseManager();
        try {
            return new DiffusionModel(ckpt, m, ckpt.model(m, weights == Weights.EMA));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * What this model is.
     *
     * @return the model's description
     */
    public ModelInfo info() {
        return info;
    }

    /**
     * Draws samples, hearing nothing.
     *
     * @param request what to draw
     * @return the samples drawn
     */
    public Samples sample(SampleRequest request) {
        return sample(request, SampleListener.NONE, CancelToken.NONE);
    }

    /**
     * Draws samples, telling {@code listener} how it goes.
     *
     * @param request what to draw
     * @param listener what hears the call's progress
     * @return the samples drawn
     */
    public Samples sample(SampleRequest request, SampleListener listener) {
        return sample(request, listener, CancelToken.NONE);
    }

    /**
     * Draws samples, telling {@code listener} how it goes, until done or {@code cancel} is set or the thread is
     * interrupted.
     *
     * @param request what to draw
     * @param listener what hears the call's progress
     * @param cancel a token that stops the call when cancelled
     * @return the samples drawn
     * @throws IllegalArgumentException naming a label this model does not have, one given to an unconditional model,
     *     or a sampler the model's schedule cannot run
     * @throws java.util.concurrent.CancellationException when cancelled or interrupted, after freeing what the call held
     */
    public Samples sample(SampleRequest request, SampleListener listener, CancelToken cancel) {
        long[] labels = labels(request);
        Sampler sampler = sampler(request);
        int steps = sampler.timesteps().length;
        try (NDManager m = manager.newSubManager()) {
            Denoiser net = Denoiser.of(network, new ParameterStore(m, false));
            if (labels != null) {
                net = Guidance.of(net, request.guidance(), checkpoint.config().model().nullLabel());
            }
            SamplingLoop.Observer observer = (first, i, t, x, x0) -> listener.onStep(step(request, labels, first, i, steps, t, x, x0, listener));
            byte[] pixels = SamplingLoop.generate(net, sampler, request.count(), request.batch(), info.channels(), info.height(), info.width(),
                    Randomness.of(request.seed()), labels, m, observer, done -> listener.onSamplesDone(done, request.count()), cancel);
            return samples(pixels, request.count(), labels, request.seed());
        }
    }

    /**
     * Checks a request against this model without sampling: its labels and its sampler.
     *
     * @param request the request to check
     * @throws IllegalArgumentException as {@link #sample} would
     */
    public void check(SampleRequest request) {
        labels(request);
        sampler(request);
    }

    /**
     * The sampler's steps for this request: the network evaluations per sample (each doubled in batch under guidance).
     *
     * @param request the request whose sampler is counted
     * @return the number of sampler steps
     */
    public int steps(SampleRequest request) {
        return sampler(request).timesteps().length;
    }

    private Sampler sampler(SampleRequest request) {
        return request.sampler().build(checkpoint.config().diffusion().build());
    }

    private SampleStep step(SampleRequest request, long[] labels, long first, int i, int steps, int t, NDArray x, NDArray x0, SampleListener listener) {
        int b = (int) x.getShape().get(0);
        Samples xs = null;
        Samples x0s = null;
        if (listener.wantsPreviews()) {
            long[] batchLabels = labels == null ? null : java.util.Arrays.copyOfRange(labels, (int) first, (int) first + b);
            xs = samples(Pixels.toBytes(x), b, batchLabels, request.seed());
            x0s = samples(Pixels.toBytes(x0), b, batchLabels, request.seed());
        }
        return new SampleStep(i, steps, t, first, b, request.count(), xs, x0s);
    }

    private Samples samples(byte[] pixels, int count, long[] labels, long seed) {
        return new Samples(pixels, count, info.channels(), info.height(), info.width(), labels, info.classNames(),
                info.audio() ? checkpoint.config().audio() : null, seed);
    }

    /** The label of each sample: as asked for, all classes in turn, or null for an unconditional model. */
    private long[] labels(SampleRequest request) {
        List<String> asked = request.labels();
        if (!info.conditional()) {
            if (!asked.isEmpty()) {
                throw new IllegalArgumentException("labels need a class-conditional model; " + info.name() + " has none");
            }
            return null;
        }
        long[] out = new long[request.count()];
        for (int i = 0; i < out.length; i++) {
            out[i] = asked.isEmpty() ? i % info.classes() : label(asked.get(asked.size() == 1 ? 0 : i));
        }
        return out;
    }

    private int label(String token) {
        int label = ClassNames.indexOf(token, info.classNames(), info.classes());
        if (label < 0) {
            throw new IllegalArgumentException("label '" + token + "': not a class of " + info.name() + " ("
                    + ClassNames.describe(info.classNames(), info.classes()) + ")");
        }
        return label;
    }

    /** The native arrays this model holds now: its weights, and whatever a call in flight holds (for tests). */
    int nativeArrays() {
        return ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
    }

    /** Frees the weights' native memory. */
    @Override
    public void close() {
        manager.close();
    }
}

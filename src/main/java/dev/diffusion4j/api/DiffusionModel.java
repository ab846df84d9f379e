package dev.diffusion4j.api;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.ClassNames;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.sample.Guidance;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Checkpoint;
import java.io.IOException;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A trained model, ready to sample:
 * <pre>{@code
 * try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
 *     Samples sevens = model.sample(SampleRequest.builder().count(16).label("7").build(), done -> {});
 *     sevens.writeGrid(Path.of("sevens.png"));
 * }
 * }</pre>
 * Opening starts the engine (once per process; it also sets the native allocator for the whole process, docs/ENGINE.md)
 * and reads the EMA weights into native memory, which {@link #close()} frees. One instance is not thread-safe: give
 * each thread its own, or call {@link #sample} from one thread at a time.
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
        UNetConfig mc = checkpoint.config().model();
        this.info = new ModelInfo(checkpoint.name(), checkpoint.config().usesAudio(), mc.channels(), mc.height(), mc.width(), mc.classes(),
                checkpoint.config().classNames(), checkpoint.config().diffusion().prediction(), checkpoint.config().diffusion().timesteps(),
                checkpoint.state().step(), network.parameterCount());
    }

    /**
     * Opens a model with its EMA weights.
     *
     * @throws IOException naming the file that is missing or wrong
     */
    public static DiffusionModel open(ModelSource source) throws IOException {
        Checkpoint ckpt = Checkpoint.open(source.path());
        Djl.engine();
        NDManager m = NDManager.newBaseManager();
        try {
            return new DiffusionModel(ckpt, m, ckpt.model(m, true));
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** What this model is. */
    public ModelInfo info() {
        return info;
    }

    /**
     * Draws samples; {@code progress} is called with the number of samples done after each batch.
     *
     * @throws IllegalArgumentException naming a label this model does not have, or one given to an unconditional model
     */
    public Samples sample(SampleRequest request, IntConsumer progress) {
        long[] labels = labels(request);
        Sampler sampler = request.sampler().build(checkpoint.config().diffusion().build());
        try (NDManager m = manager.newSubManager()) {
            Denoiser net = Denoiser.of(network, new ParameterStore(m, false));
            if (labels != null) {
                net = Guidance.of(net, request.guidance(), checkpoint.config().model().nullLabel());
            }
            byte[] pixels = SamplingLoop.generate(net, sampler, request.count(), request.batch(), info.channels(), info.height(), info.width(),
                    Randomness.of(request.seed()), labels, m, null, progress);
            return new Samples(pixels, request.count(), info.channels(), info.height(), info.width(), labels);
        }
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

    /** Frees the weights' native memory. */
    @Override
    public void close() {
        manager.close();
    }
}

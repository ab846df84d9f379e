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
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.edit.ClassInference;
import dev.diffusion4j.edit.ImageToImage;
import dev.diffusion4j.edit.Inpainting;
import dev.diffusion4j.edit.Inversion;
import dev.diffusion4j.edit.Mask;
import dev.diffusion4j.sample.SamplerSpec;
import java.io.IOException;
import java.nio.file.Path;
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
                network.parameterCount(), c.distilled() ? c.distillation().steps() : 0, c.sampling().guidance(),
                c.distilled() && c.distillation().guided() ? c.distillation().guidanceRange() : List.of());
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
        return sample(request, 0, request.count(), listener, cancel);
    }

    /**
     * Draws samples {@code from} to {@code to - 1} of {@code request}, hearing nothing: the same pixels and labels as
     * that slice of {@code sample(request)}, at the cost of the slice alone. Sample j depends only on the model, the
     * seed, the sampler and j, so a request can be split into ranges drawn by different threads, processes or
     * machines, and their results put side by side give the whole request's.
     *
     * @param request what to draw, all {@code request.count()} samples of it
     * @param from the first sample to draw, at least 0
     * @param to one past the last sample to draw, above {@code from} and at most {@code request.count()}
     * @return the samples of the range, in order: {@code count()} is {@code to - from}, and sample i is the request's
     *     sample {@code from + i}
     * @throws IllegalArgumentException for a range outside the request, and as {@link #sample(SampleRequest,
     *     SampleListener, CancelToken)} does
     */
    public Samples sample(SampleRequest request, int from, int to) {
        return sample(request, from, to, SampleListener.NONE, CancelToken.NONE);
    }

    /**
     * Draws samples {@code from} to {@code to - 1} of {@code request} ({@link #sample(SampleRequest, int, int)}),
     * telling {@code listener} how it goes, until done or {@code cancel} is set or the thread is interrupted. The
     * listener's steps name each batch by the request's index of its first sample; its counts are of the range's
     * samples.
     *
     * @param request what to draw, all {@code request.count()} samples of it
     * @param from the first sample to draw, at least 0
     * @param to one past the last sample to draw, above {@code from} and at most {@code request.count()}
     * @param listener what hears the call's progress
     * @param cancel a token that stops the call when cancelled
     * @return the samples of the range, in order
     * @throws IllegalArgumentException for a range outside the request, and as {@link #sample(SampleRequest,
     *     SampleListener, CancelToken)} does
     * @throws java.util.concurrent.CancellationException when cancelled or interrupted, after freeing what the call held
     */
    public Samples sample(SampleRequest request, int from, int to, SampleListener listener, CancelToken cancel) {
        if (from < 0 || to <= from || to > request.count()) {
            throw new IllegalArgumentException("samples " + from + " to " + to + ": not a range within the request's 0 to " + request.count());
        }
        long[] labels = labels(request);
        long[] rangeLabels = labels == null ? null : java.util.Arrays.copyOfRange(labels, from, to);
        Sampler sampler = sampler(request);
        int steps = sampler.timesteps().length;
        int total = to - from;
        try (NDManager m = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            Denoiser net = labels != null ? Guidance.of(network, ps, guidance(request.guidance())) : Denoiser.of(network, ps);
            SamplingLoop.Observer observer = (first, i, t, x, x0) -> listener.onStep(step(request, labels, first, i, steps, t, x, x0, total,
                    listener));
            byte[] pixels = SamplingLoop.generateRange(net, sampler, from, to, request.batch(), info.channels(), info.height(), info.width(),
                    Randomness.of(request.seed()), rangeLabels, m, observer, done -> listener.onSamplesDone(done, total), cancel);
            return samples(pixels, total, rangeLabels, request.seed());
        }
    }

    /**
     * Checks a request against this model without sampling: its labels and its sampler.
     *
     * @param request the request to check
     * @throws IllegalArgumentException as {@link #sample} would
     */
    public void check(SampleRequest request) {
        long[] labels = labels(request);
        sampler(request);
        if (labels != null) {
            guidance(request.guidance());
        }
    }

    /**
     * The guidance scale of a request: the one it names, or the model's default; a student distilled with guidance
     * refuses a scale outside the range it was trained at.
     */
    private double guidance(java.util.OptionalDouble asked) {
        double w = asked.orElse(info.defaultGuidance());
        checkpoint.config().requireGuidance(w, info.name());
        return w;
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

    /**
     * The network evaluations per sample this request costs: its sampler's steps, twice that under classifier-free
     * guidance (a conditional and an unconditional pass at each step, for a scale other than 0 or 1), once per step for
     * a student distilled with guidance, which takes the scale as an input.
     *
     * @param request the request whose cost is counted
     * @return network evaluations per sample
     */
    public int networkEvaluations(SampleRequest request) {
        int steps = steps(request);
        if (labels(request) == null || network.config().guidanceInput()) {
            return steps;
        }
        double w = guidance(request.guidance());
        return w == 0 || w == 1 ? steps : 2 * steps;
    }

    private Sampler sampler(SampleRequest request) {
        return sampler(request.sampler());
    }

    private Sampler sampler(SamplerSpec requested) {
        return resolve(requested).build(checkpoint.config().diffusion().build());
    }

    /**
     * The sampler this model runs for a request's: the request's own, except for a distilled model, which samples with
     * DDIM (η = 0) on the trailing grid of the steps it was distilled for. There the default sampler with no steps
     * named, or DDIM with those steps (and no other grid), mean that sampler; anything else is refused, since the
     * student has learned nothing else.
     *
     * @param requested the sampler asked for
     * @return the sampler to run
     * @throws IllegalArgumentException for a distilled model asked for another sampler or step count
     */
    public SamplerSpec resolve(SamplerSpec requested) {
        return info.distilled() ? requested.forDistilled(info.distilledSteps(), info.name()) : requested;
    }

    private SampleStep step(SampleRequest request, long[] labels, long first, int i, int steps, int t, NDArray x, NDArray x0, int total,
            SampleListener listener) {
        int b = (int) x.getShape().get(0);
        Samples xs = null;
        Samples x0s = null;
        if (listener.wantsPreviews()) {
            long[] batchLabels = labels == null ? null : java.util.Arrays.copyOfRange(labels, (int) first, (int) first + b);
            xs = samples(Pixels.toBytes(x), b, batchLabels, request.seed());
            x0s = samples(Pixels.toBytes(x0), b, batchLabels, request.seed());
        }
        return new SampleStep(i, steps, t, first, b, total, xs, x0s);
    }

    private Samples samples(byte[] pixels, int count, long[] labels, long seed) {
        return new Samples(pixels, count, info.channels(), info.height(), info.width(), labels, info.classNames(),
                info.audio() ? checkpoint.config().audio() : null, seed);
    }

    // ---------------------------------------------------------------- editing

    /**
     * Reads images to edit: an (N, C, H, W) uint8 {@code .npy}, a PNG of this model's size, or, for a model of sound, a
     * WAV, analysed into a mel image as the training data was.
     *
     * @param file the input
     * @return the images, unlabelled
     * @throws IOException naming the file and what does not fit
     */
    public Samples read(Path file) throws IOException {
        return Inputs.read(file, info, checkpoint.config().audio(), manager);
    }

    /**
     * Completes the unknown region of each image (the known one is kept exactly): RePaint or the fast inpainting, as
     * the request says.
     *
     * @param input the images
     * @param mask what is known
     * @param request labels (none: a class-conditional model completes without a class), guidance, sampler, seed, method
     * @return the completed images
     */
    public Samples inpaint(Samples input, Mask mask, EditRequest request) {
        return inpaint(input, mask, request, CancelToken.NONE);
    }

    /**
     * {@link #inpaint(Samples, Mask, EditRequest)}, until done or cancelled.
     *
     * @param input the images
     * @param mask what is known
     * @param request how
     * @param cancel stops the call between two steps
     * @return the completed images
     */
    public Samples inpaint(Samples input, Mask mask, EditRequest request, CancelToken cancel) {
        checkMask(mask);
        GaussianDiffusion d = checkpoint.config().diffusion().build();
        Sampler sampler = sampler(request.sampler());
        return perBatch(input, request, (net, x0, y, first, m) -> request.inpainting() == EditRequest.InpaintMethod.REPAINT
                ? Inpainting.repaint(net, d, request.repaint(), x0, mask, y, Randomness.of(request.seed()), first, m, cancel)
                : Inpainting.fast(net, sampler, d, x0, mask, request.resample(), y, Randomness.of(request.seed()), first, m, cancel));
    }

    /**
     * The likeliest class of each image from its known region alone, asked of this class-conditional model: the class
     * whose conditional prediction of the noise is best on the known pixels ({@link ClassInference}). Pass the result
     * as the request's labels to complete each image as the class its known region shows.
     *
     * @param input the images (their unknown region does not matter)
     * @param mask what is known
     * @param trials (t, ε) draws per image, each one network evaluation per class
     * @param request the seed and the batch (images per call times the number of classes)
     * @return the name of each image's likeliest class
     * @throws IllegalArgumentException for a model that is not class-conditional, or an empty mask
     */
    public List<String> inferClasses(Samples input, Mask mask, int trials, EditRequest request) {
        if (!info.conditional()) {
            throw new IllegalArgumentException(info.name() + " is not class-conditional: there is no class to infer");
        }
        checkMask(mask);
        GaussianDiffusion d = checkpoint.config().diffusion().build();
        int k = info.classes();
        int chunk = Math.max(1, request.batch() / k);
        List<String> out = new java.util.ArrayList<>(input.count());
        for (int from = 0; from < input.count(); from += chunk) {
            int b = Math.min(chunk, input.count() - from);
            try (NDManager m = manager.newSubManager()) {
                NDArray x0 = images(input, from, b, m);
                NDArray errors = ClassInference.knownRegionErrors(Denoiser.of(network, new ParameterStore(m, false)), d, x0, mask, k, trials,
                        Randomness.of(request.seed()), from, m);
                for (long label : ClassInference.likeliest(errors)) {
                    out.add(ClassNames.name((int) label, info.classNames()));
                }
            }
        }
        return out;
    }

    /** Images {@code from} to {@code from + count - 1} of {@code input} as a (count, C, H, W) array in [-1, 1], in {@code m}. */
    private NDArray images(Samples input, int from, int count, NDManager m) {
        int per = info.channels() * info.height() * info.width();
        return Pixels.fromBytes(java.util.Arrays.copyOfRange(input.pixels(), from * per, (from + count) * per),
                new Shape(count, info.channels(), info.height(), info.width()), m);
    }

    private void checkMask(Mask mask) {
        if (mask.height() != info.height() || mask.width() != info.width()) {
            throw new IllegalArgumentException("mask: " + mask.height() + "x" + mask.width() + ", not this model's " + info.height() + "x"
                    + info.width());
        }
    }

    /**
     * Image-to-image (SDEdit) at the request's strength, toward its labels.
     *
     * @param input the images
     * @param request labels, guidance, sampler, seed, strength
     * @return the edited images
     */
    public Samples edit(Samples input, EditRequest request) {
        GaussianDiffusion d = checkpoint.config().diffusion().build();
        Sampler sampler = sampler(request.sampler());
        return perBatch(input, request, (net, x0, y, first, m) -> ImageToImage.edit(net, sampler, d, x0, request.strength(), y,
                Randomness.of(request.seed()), first, m, CancelToken.NONE));
    }

    /**
     * Each image inverted to x_T by DDIM (η = 0) with the request's number of steps, and decoded back the same way: the
     * reconstruction shows what the inversion keeps.
     *
     * @param input the images
     * @param request labels, guidance and the number of steps ({@code request.sampler()}'s, or its default)
     * @return the reconstructions
     */
    public Samples reconstruct(Samples input, EditRequest request) {
        GaussianDiffusion d = checkpoint.config().diffusion().build();
        int steps = steps(request.sampler(), d);
        return perBatch(input, request, (net, x0, y, first, m) -> Inversion.decode(net, d, steps, Inversion.invert(net, d, steps, x0, y, m,
                CancelToken.NONE), y, m, CancelToken.NONE));
    }

    /**
     * {@code frames} images between two: both inverted by DDIM, their latents interpolated spherically, each mix decoded
     * by DDIM. With two labels each frame takes the nearer end's.
     *
     * @param ends two images, the first and the last frame's
     * @param frames how many frames, ends included (at least 2)
     * @param request labels (none, one, or one per end), guidance and the number of steps
     * @return the frames, in order
     */
    public Samples interpolate(Samples ends, int frames, EditRequest request) {
        if (ends.count() != 2 || frames < 2) {
            throw new IllegalArgumentException("interpolation needs 2 images and at least 2 frames, got " + ends.count() + " and " + frames);
        }
        GaussianDiffusion d = checkpoint.config().diffusion().build();
        int steps = steps(request.sampler(), d);
        long[] endLabels = editLabels(request, 2);
        int per = info.channels() * info.height() * info.width();
        byte[] out = new byte[frames * per];
        long[] labels = endLabels == null || request.labels().isEmpty() ? null : new long[frames];
        try (NDManager m = manager.newSubManager()) {
            Denoiser net = denoiser(m, request, !request.labels().isEmpty());
            NDArray[] latents = new NDArray[2];
            for (int e = 0; e < 2; e++) {
                NDArray x0 = images(ends, e, 1, m);
                latents[e] = Inversion.invert(net, d, steps, x0, labelArray(m, endLabels, e), m, CancelToken.NONE);
            }
            for (int f = 0; f < frames; f++) {
                double w = (double) f / (frames - 1);
                int nearer = w < 0.5 ? 0 : 1;
                NDArray z = Inversion.slerp(latents[0], latents[1], w);
                NDArray img = Inversion.decode(net, d, steps, z, labelArray(m, endLabels, nearer), m,
                        CancelToken.NONE);
                System.arraycopy(Pixels.toBytes(img), 0, out, f * per, per);
                if (labels != null) {
                    labels[f] = endLabels[nearer];
                }
            }
        }
        return samples(out, frames, labels, request.seed());
    }

    private static int steps(SamplerSpec spec, GaussianDiffusion d) {
        return spec.steps() != null ? spec.steps() : spec.build(d).timesteps().length;
    }

    private static NDArray labelArray(NDManager m, long[] labels, int i) {
        return labels == null ? null : m.create(new long[] {labels[i]});
    }

    /** One batch of an edit: the network (guided when labels are given), x_0 in [-1, 1], the labels, the first index. */
    private interface BatchEdit {
        NDArray run(Denoiser net, NDArray x0, NDArray labels, long firstItem, NDManager m);
    }

    private Samples perBatch(Samples input, EditRequest request, BatchEdit op) {
        if (input.channels() != info.channels() || input.height() != info.height() || input.width() != info.width()) {
            throw new IllegalArgumentException("the input is " + input.channels() + "x" + input.height() + "x" + input.width() + ", not this model's "
                    + info.channels() + "x" + info.height() + "x" + info.width());
        }
        int n = input.count();
        long[] labels = editLabels(request, n);
        int per = info.channels() * info.height() * info.width();
        byte[] out = new byte[n * per];
        for (int from = 0; from < n; from += request.batch()) {
            int b = Math.min(request.batch(), n - from);
            try (NDManager m = manager.newSubManager()) {
                NDArray x0 = images(input, from, b, m);
                NDArray y = labels == null ? null : m.create(java.util.Arrays.copyOfRange(labels, from, from + b));
                NDArray x = op.run(denoiser(m, request, !request.labels().isEmpty()), x0, y, from, m);
                System.arraycopy(Pixels.toBytes(x), 0, out, from * per, b * per);
            }
        }
        return samples(out, n, labels == null || request.labels().isEmpty() ? null : labels, request.seed());
    }

    /** The network for an edit: guided toward the labels when the request names classes, plain otherwise. */
    private Denoiser denoiser(NDManager m, EditRequest request, boolean guided) {
        ParameterStore ps = new ParameterStore(m, false);
        return guided ? Guidance.of(network, ps, guidance(request.guidance())) : Denoiser.of(network, ps);
    }

    /**
     * The label of each of {@code n} outputs: as named, or for a class-conditional model without names its "no class"
     * label (the network then works unconditionally), or null for an unconditional model.
     */
    private long[] editLabels(EditRequest request, int n) {
        List<String> asked = request.labels();
        if (!info.conditional()) {
            if (!asked.isEmpty()) {
                throw new IllegalArgumentException("labels need a class-conditional model; " + info.name() + " has none");
            }
            return null;
        }
        if (asked.size() > 1 && asked.size() != n) {
            throw new IllegalArgumentException("labels must be one for all images or one per image, got " + asked.size() + " for " + n);
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = asked.isEmpty() ? checkpoint.config().model().nullLabel() : label(asked.get(asked.size() == 1 ? 0 : i));
        }
        return out;
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

package dev.diffusion4j.api.djl;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelInfo;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.sample.SamplerSpec;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * ints in, images out, for {@code Predictor<int[], Image[]>}: for a class-conditional model each int is the class of
 * one image, drawn as sample i of the seed's stream (the same image {@code sample --class} gives for that seed); for
 * an unconditional model each int is a seed, and its image is that seed's first sample. One image per int, in order.
 * <pre>{@code
 * Image[] sevens = predictor.predict(new int[] {7, 7, 7});
 * }</pre>
 */
public final class ImageGenerationTranslator implements NoBatchifyTranslator<int[], Image[]> {
    private final DiffusionModel model;
    private final long seed;
    private final double guidance;
    private final SamplerSpec sampler;

    /**
     * A translator for {@code model}.
     *
     * @param model the model that samples
     * @param seed the seed of a class-conditional model's draws
     * @param guidance the classifier-free guidance scale of a class-conditional model
     * @param sampler the sampler and its steps
     */
    public ImageGenerationTranslator(DiffusionModel model, long seed, double guidance, SamplerSpec sampler) {
        this.model = model;
        this.seed = seed;
        this.guidance = guidance;
        this.sampler = sampler;
        model.check(SampleRequest.builder().count(1).guidance(guidance).sampler(sampler).build());
    }

    @Override
    public NDList processInput(TranslatorContext ctx, int[] input) {
        if (input.length == 0) {
            throw new IllegalArgumentException("no ints: give one class (or, for an unconditional model, one seed) per image");
        }
        return new NDList(ctx.getNDManager().create(input));
    }

    @Override
    public Image[] processOutput(TranslatorContext ctx, NDList list) {
        NDArray pixels = list.singletonOrThrow();
        Shape s = pixels.getShape();
        ModelInfo info = model.info();
        Samples samples = new Samples(pixels.toByteArray(), (int) s.get(0), info.channels(), info.height(), info.width(), null, List.of(), null, seed);
        ImageFactory factory = ImageFactory.getInstance();
        return samples.images().stream().map(factory::fromImage).toArray(Image[]::new);
    }

    /** The model block's forward pass: the ints to 8-bit pixels, (N, C, H, W). */
    NDList generate(NDList in) {
        NDArray ints = in.singletonOrThrow();
        int[] values = ints.toIntArray();
        ModelInfo info = model.info();
        byte[] pixels;
        if (info.conditional()) {
            List<String> labels = Arrays.stream(values).mapToObj(k -> dev.diffusion4j.data.ClassNames.name(k, info.classNames())).toList();
            pixels = model.sample(request(values.length, seed).labels(labels).build()).pixels();
        } else {
            int per = info.channels() * info.height() * info.width();
            pixels = new byte[values.length * per];
            for (int i = 0; i < values.length; i++) {
                System.arraycopy(model.sample(request(1, values[i]).build()).pixels(), 0, pixels, i * per, per);
            }
        }
        Shape shape = new Shape(values.length, info.channels(), info.height(), info.width());
        return new NDList(ints.getManager().create(ByteBuffer.wrap(pixels), shape, DataType.UINT8));
    }

    private SampleRequest.Builder request(int count, long s) {
        return SampleRequest.builder().count(count).guidance(guidance).sampler(sampler).seed(s);
    }
}

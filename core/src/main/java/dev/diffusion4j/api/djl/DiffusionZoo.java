package dev.diffusion4j.api.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;
import java.util.Set;

/**
 * diffusion4j's models as a DJL model zoo (group id {@value #GROUP_ID}), found by DJL's {@code ServiceLoader} once this
 * library is on the class path, so that they load the way the JVM's other models do:
 * <pre>{@code
 * Criteria<int[], Image[]> criteria = Criteria.builder().setTypes(int[].class, Image[].class)
 *         .optApplication(Application.CV.IMAGE_GENERATION).optGroupId(DiffusionZoo.GROUP_ID).optArtifactId("mnist")
 *         .optArgument("seed", 0).build();
 * try (ZooModel<int[], Image[]> model = criteria.loadModel(); Predictor<int[], Image[]> p = model.newPredictor()) {
 *     Image[] sevens = p.predict(new int[] {7, 7, 7});
 * }
 * }</pre>
 * The artifact ids are the built-in models of images ({@code mnist}, {@code mnist-w16}, {@code mnist-fast},
 * {@code mnist-fast-guided}) and {@value DiffusionModelLoader#RUN}, which opens the run or
 * checkpoint directory named by the argument {@code path}. Arguments (all optional): {@code seed} (default 0),
 * {@code guidance} (the model's, {@link dev.diffusion4j.api.ModelInfo#defaultGuidance()}), {@code sampler} ({@code dpm-solver++}, {@code ddim}, {@code sde-dpm-solver++} or {@code ddpm})
 * and {@code steps} (the sampler's default), as {@code diffusion4j sample} takes them; see {@link ImageGenerationTranslator}
 * for what the input ints mean.
 */
public final class DiffusionZoo extends ModelZoo {
    /** The zoo's group id. */
    public static final String GROUP_ID = "dev.diffusion4j";

    /** A zoo with every built-in model and the run-directory loader. */
    public DiffusionZoo() {
        addModel(new DiffusionModelLoader("mnist"));
        addModel(new DiffusionModelLoader("mnist-w16"));
        addModel(new DiffusionModelLoader("mnist-fast"));
        addModel(new DiffusionModelLoader("mnist-fast-guided"));
        addModel(new DiffusionModelLoader(DiffusionModelLoader.RUN));
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }

    /** Registers {@link DiffusionZoo} with DJL (listed in {@code META-INF/services/ai.djl.repository.zoo.ZooProvider}). */
    public static final class Provider implements ZooProvider {
        /** The provider DJL's service loader instantiates. */
        public Provider() {}

        @Override
        public ModelZoo getModelZoo() {
            return new DiffusionZoo();
        }
    }
}

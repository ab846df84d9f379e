package dev.diffusion4j.api.djl;

import ai.djl.Application;
import ai.djl.Model;
import ai.djl.nn.LambdaBlock;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Progress;
import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.sample.SamplerSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads one of the zoo's artifacts as a {@code ZooModel<int[], Image[]>}: the model's block draws the samples, the
 * {@link ImageGenerationTranslator} turns ints into its request and pixels into images. Closing the {@code ZooModel}
 * closes the {@link DiffusionModel} inside.
 */
final class DiffusionModelLoader implements ModelLoader {
    /** The artifact id that opens the run or checkpoint directory given as the argument {@code path}. */
    static final String RUN = "run";

    private final String artifactId;

    DiffusionModelLoader(String artifactId) {
        this.artifactId = artifactId;
    }

    @Override
    public String getGroupId() {
        return DiffusionZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return artifactId;
    }

    @Override
    public Application getApplication() {
        return Application.CV.IMAGE_GENERATION;
    }

    @Override
    public MRL getMrl() {
        return null;
    }

    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria) throws IOException, ModelNotFoundException {
        if (criteria.getInputClass() != int[].class || criteria.getOutputClass() != ai.djl.modality.cv.Image[].class) {
            throw new ModelNotFoundException(DiffusionZoo.GROUP_ID + ":" + artifactId + " takes int[] and gives Image[], not "
                    + criteria.getInputClass().getSimpleName() + " -> " + criteria.getOutputClass().getSimpleName());
        }
        Map<String, Object> args = criteria.getArguments();
        ModelSource source = artifactId.equals(RUN) ? ModelSource.runDirectory(Path.of(required(args, "path"))) : ModelSource.builtin(artifactId);
        DiffusionModel diffusion = DiffusionModel.open(source);
        ImageGenerationTranslator translator;
        try {
            translator = new ImageGenerationTranslator(diffusion, seed(args), guidance(args, diffusion.info()), sampler(args));
        } catch (IllegalArgumentException e) {
            diffusion.close();
            throw e;
        }
        Model model = Model.newInstance(diffusion.info().name(), "PyTorch");
        model.setBlock(new LambdaBlock(translator::generate, "diffusion4j-sampling"));
        model.getNDManager().attachInternal("diffusion4j-model", diffusion);
        @SuppressWarnings("unchecked")
        ZooModel<I, O> zoo = (ZooModel<I, O>) new ZooModel<>(model, translator);
        return zoo;
    }

    private static String required(Map<String, Object> args, String key) throws ModelNotFoundException {
        Object v = args.get(key);
        if (v == null) {
            throw new ModelNotFoundException(DiffusionZoo.GROUP_ID + ":" + RUN + " needs the argument '" + key + "' (a run or checkpoint directory)");
        }
        return v.toString();
    }

    private static long seed(Map<String, Object> args) {
        return Long.parseLong(args.getOrDefault("seed", "0").toString());
    }

    private static double guidance(Map<String, Object> args, dev.diffusion4j.api.ModelInfo info) {
        Object w = args.get("guidance");
        return w == null ? info.defaultGuidance() : Double.parseDouble(w.toString());
    }

    private static SamplerSpec sampler(Map<String, Object> args) {
        SamplerSpec.Kind kind = SamplerSpec.Kind.parse(args.getOrDefault("sampler", SamplerSpec.DEFAULT_KIND.cliName()).toString());
        Object steps = args.get("steps");
        return new SamplerSpec(kind, steps == null ? null : Integer.valueOf(steps.toString()), 0);
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true;
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {
        // nothing to download: the built-in models are in the jar, runs are on disk
    }

    @Override
    public String toString() {
        return DiffusionZoo.GROUP_ID + ":" + artifactId;
    }
}

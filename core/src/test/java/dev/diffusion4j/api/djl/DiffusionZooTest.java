package dev.diffusion4j.api.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Application;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.testing.BuiltinModels;
import dev.diffusion4j.testing.Skips;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in model through DJL's Criteria, ZooModel and Predictor: the library's images, bad requests named. */
class DiffusionZooTest {
    private static Criteria<int[], Image[]> criteria(String artifact) {
        return Criteria.builder().setTypes(int[].class, Image[].class).optApplication(Application.CV.IMAGE_GENERATION)
                .optGroupId(DiffusionZoo.GROUP_ID).optArtifactId(artifact).optArgument("seed", 3).optArgument("steps", 4).build();
    }

    private static byte[] grey(BufferedImage img) {
        byte[] out = new byte[img.getWidth() * img.getHeight()];
        img.getRaster().getDataElements(0, 0, img.getWidth(), img.getHeight(), out);
        return out;
    }

    @Test
    void theBuiltInModelLoadsThroughCriteriaAndDrawsWhatTheLibraryDraws(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Image[] images;
            try (ZooModel<int[], Image[]> model = criteria("mnist").loadModel(); Predictor<int[], Image[]> p = model.newPredictor()) {
                images = p.predict(new int[] {7, 2});
            }
            assertThat(images).hasSize(2);
            try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
                Samples s = model.sample(SampleRequest.builder().count(2).labels(java.util.List.of("7", "2")).seed(3)
                        .sampler(SamplerSpec.dpmSolverPlusPlus(4)).build());
                for (int i = 0; i < 2; i++) {
                    assertThat(grey((BufferedImage) images[i].getWrappedImage())).as("image %d", i).isEqualTo(grey(s.image(i)));
                }
            }
        });
    }

    @Test
    void theGuidedFourStepModelLoadsThroughCriteriaAtAScaleOfItsRange(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.class.getResource("/dev/diffusion4j/models/mnist-fast-guided/ema.safetensors") != null,
                "models/mnist-fast-guided is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Criteria<int[], Image[]> c = Criteria.builder().setTypes(int[].class, Image[].class).optApplication(Application.CV.IMAGE_GENERATION)
                    .optGroupId(DiffusionZoo.GROUP_ID).optArtifactId("mnist-fast-guided").optArgument("seed", 3).optArgument("guidance", 2)
                    .build();
            Image[] images;
            try (ZooModel<int[], Image[]> model = c.loadModel(); Predictor<int[], Image[]> p = model.newPredictor()) {
                images = p.predict(new int[] {4, 9});
            }
            try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist-fast-guided"))) {
                assertThat(model.info().guidanceRange()).containsExactly(1.0, 3.0);
                Samples s = model.sample(SampleRequest.builder().count(2).labels(java.util.List.of("4", "9")).guidance(2).seed(3).build());
                for (int i = 0; i < 2; i++) {
                    assertThat(grey((BufferedImage) images[i].getWrappedImage())).as("image %d", i).isEqualTo(grey(s.image(i)));
                }
            }
        });
    }

    @Test
    void aRunNeedsItsPathAndTheTypesMustFit() {
        assertThatThrownBy(() -> criteria(DiffusionModelLoader.RUN).loadModel()).isInstanceOf(ModelNotFoundException.class);
        Criteria<int[], String> wrong = Criteria.builder().setTypes(int[].class, String.class).optGroupId(DiffusionZoo.GROUP_ID)
                .optArtifactId("mnist").build();
        assertThatThrownBy(wrong::loadModel).isInstanceOf(ModelNotFoundException.class);
    }
}

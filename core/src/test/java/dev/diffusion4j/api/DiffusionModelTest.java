package dev.diffusion4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.CancelToken;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.Guidance;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.SamplingLoop;
import dev.diffusion4j.train.Checkpoint;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.testing.BuiltinModels;
import dev.diffusion4j.testing.Skips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's sampling: what a model says it is, progress, previews, cancellation, bad requests. */
class DiffusionModelTest {
    @Test
    void samplesTheBuiltInModelAndSaysWhatItIs(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
                ModelInfo info = model.info();
                assertThat(info.name()).matches("builtin:mnist \\(step \\d+\\)");
                assertThat(info.classNames()).hasSize(10).startsWith("0");
                assertThat(List.of(info.channels(), info.height(), info.width(), info.classes())).containsExactly(1, 28, 28, 10);
                assertThat(info.parameters()).isPositive();

                List<Integer> progress = new ArrayList<>();
                Samples sevens = model.sample(SampleRequest.builder().count(3).label("7").batch(2).seed(5)
                        .sampler(SamplerSpec.dpmSolverPlusPlus(4)).build(), SampleListener.onSamplesDone(progress::add));
                assertThat(progress).containsExactly(2, 3);
                assertThat(sevens.labels()).containsExactly(7, 7, 7);
                assertThat(sevens.images()).hasSize(3).allSatisfy(img -> assertThat(img.getWidth()).isEqualTo(28));

                assertThat(sevens.pixels()).as("the API's pixels are the sampling loop's, byte for byte").isEqualTo(byHand(3, 7, 5, 4, 2));
                Path npy = dir.resolve("sevens.npy");
                sevens.writeNpy(npy);
                byte[] file = Files.readAllBytes(npy);
                assertThat(Arrays.copyOfRange(file, file.length - sevens.pixels().length, file.length)).isEqualTo(sevens.pixels());

                assertThatThrownBy(() -> model.sample(SampleRequest.builder().label("eleven").build()))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("label 'eleven': not a class of builtin:mnist");
            }
        });
    }

    @Test
    void aRangeOfARequestIsThatSliceOfTheWholeRequest(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
                // classes in turn: sample j's label is j mod 10, so a range must number its samples from the request's start
                SampleRequest request = SampleRequest.builder().count(13).batch(4).seed(21).sampler(SamplerSpec.dpmSolverPlusPlus(3)).build();
                Samples whole = model.sample(request);
                int per = 28 * 28;
                byte[] joined = new byte[whole.pixels().length];
                List<Long> labels = new ArrayList<>();
                int[] cuts = {0, 1, 6, 11, 13};
                for (int k = 0; k + 1 < cuts.length; k++) {
                    Samples part = model.sample(request, cuts[k], cuts[k + 1]);
                    assertThat(part.count()).isEqualTo(cuts[k + 1] - cuts[k]);
                    System.arraycopy(part.pixels(), 0, joined, cuts[k] * per, part.pixels().length);
                    Arrays.stream(part.labels()).forEach(labels::add);
                }
                assertThat(joined).as("the ranges side by side are the whole request, byte for byte").isEqualTo(whole.pixels());
                assertThat(labels).containsExactly(Arrays.stream(whole.labels()).boxed().toArray(Long[]::new));
                assertThat(labels.get(11)).isEqualTo(1L);

                SampleRequest sevens = SampleRequest.builder().count(5).label("7").batch(5).seed(3).sampler(SamplerSpec.ddim(3)).build();
                Samples middle = model.sample(sevens, 2, 4);
                assertThat(middle.pixels()).isEqualTo(Arrays.copyOfRange(model.sample(sevens).pixels(), 2 * per, 4 * per));
                assertThat(middle.labels()).containsExactly(7, 7);

                for (int[] bad : new int[][] {{-1, 2}, {3, 3}, {4, 6}}) {
                    assertThatThrownBy(() -> model.sample(sevens, bad[0], bad[1])).isInstanceOf(IllegalArgumentException.class)
                            .hasMessage("samples " + bad[0] + " to " + bad[1] + ": not a range within the request's 0 to 5");
                }
            }
        });
    }

    /** The built-in model sampled without the API: the checkpoint's EMA network, guidance 1.5, DPM-Solver++, the loop. */
    private static byte[] byHand(int count, long label, long seed, int steps, int batch) throws Exception {
        Checkpoint ckpt = Checkpoint.open(Path.of("builtin:mnist"));
        try (NDManager m = NDManager.newBaseManager()) {
            Denoiser net = Guidance.of(Denoiser.of(ckpt.model(m, true), new ParameterStore(m, false)), 1.5, ckpt.config().model().nullLabel());
            long[] labels = new long[count];
            Arrays.fill(labels, label);
            return SamplingLoop.generate(net, SamplerSpec.dpmSolverPlusPlus(steps).build(ckpt.config().diffusion().build()), count, batch, 1, 28,
                    28, Randomness.of(seed), labels, m, null, null, CancelToken.NONE);
        }
    }

    @Test
    void aCallEndsOnItsCancelTokenOrAnInterruptAndFreesWhatItHeld(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
                int weights = model.nativeArrays();
                SampleRequest request = SampleRequest.builder().count(4).batch(2).sampler(SamplerSpec.ddim(10)).build();
                CancelToken token = CancelToken.create();
                List<Integer> seen = new ArrayList<>();
                SampleListener cancelAtThree = new SampleListener() {
                    @Override
                    public void onStep(SampleStep s) {
                        seen.add(s.step());
                        if (s.step() == 2) {
                            token.cancel();
                        }
                    }
                };
                assertThatThrownBy(() -> model.sample(request, cancelAtThree, token)).isInstanceOf(CancellationException.class)
                        .hasMessage("cancelled: stopped; no samples written");
                assertThat(seen).as("stops after the step in flight").containsExactly(0, 1, 2);
                assertThat(model.nativeArrays()).as("the call's arrays are freed").isEqualTo(weights);

                SampleListener interruptAtOne = new SampleListener() {
                    @Override
                    public void onStep(SampleStep s) {
                        Thread.currentThread().interrupt();
                    }
                };
                try {
                    assertThatThrownBy(() -> model.sample(request, interruptAtOne)).isInstanceOf(CancellationException.class)
                            .hasMessage("interrupted: stopped; no samples written");
                } finally {
                    Thread.interrupted();
                }
                assertThat(model.nativeArrays()).isEqualTo(weights);
                assertThat(model.sample(request).count()).as("the model still samples after both").isEqualTo(4);
            }
        });
    }

    @Test
    void previewsCarryEveryStepsSampleAndPredictedX0(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
                List<SampleStep> steps = new ArrayList<>();
                SampleListener all = new SampleListener() {
                    @Override
                    public boolean wantsPreviews() {
                        return true;
                    }

                    @Override
                    public void onStep(SampleStep s) {
                        steps.add(s);
                    }
                };
                Samples out = model.sample(SampleRequest.builder().count(3).batch(2).label("4").sampler(SamplerSpec.ddim(5)).build(), all);
                assertThat(steps).extracting(SampleStep::firstSample).containsExactly(0L, 0L, 0L, 0L, 0L, 2L, 2L, 2L, 2L, 2L);
                assertThat(steps).extracting(SampleStep::timestep).as("t runs from T to 1").startsWith(1000).endsWith(1);
                SampleStep last = steps.get(4);
                assertThat(last.predictedX0().count()).isEqualTo(2);
                assertThat(last.sample().labels()).containsExactly(4, 4);
                assertThat(last.sample().pixels()).as("the last step's x_t is the first batch's result")
                        .isEqualTo(Arrays.copyOf(out.pixels(), 2 * 28 * 28));
                assertThat(steps.get(0).sample().pixels()).isNotEqualTo(last.sample().pixels());
            }
        });
    }

    @Test
    void aRequestWithoutGuidanceGetsTheModelsOwnFromItsConfiguration(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        Path ckpt = Files.createDirectories(dir.resolve("w3"));
        for (String f : List.of("ema.safetensors", "state.json")) {
            try (var in = DiffusionModelTest.class.getResourceAsStream("/dev/diffusion4j/models/mnist/" + f)) {
                Files.copy(in, ckpt.resolve(f));
            }
        }
        TrainConfig builtin;
        try (var in = DiffusionModelTest.class.getResourceAsStream("/dev/diffusion4j/models/mnist/config.json")) {
            builtin = Configs.JSON.readValue(in, TrainConfig.class);
        }
        assertThat(builtin.sampling().guidance()).as("a stored config without a sampling section").isEqualTo(1.5);
        Files.writeString(ckpt.resolve("config.json"), Configs.toJson(builtin.withSampling(new TrainConfig.Sampling(3))));

        SamplerSpec ddim = SamplerSpec.ddim(3);
        try (DiffusionModel model = DiffusionModel.open(ModelSource.checkpoint(ckpt))) {
            assertThat(model.info().defaultGuidance()).isEqualTo(3.0);
            byte[] unset = model.sample(SampleRequest.builder().count(2).label("4").seed(9).sampler(ddim).build()).pixels();
            assertThat(unset).as("no guidance in the request: the model's 3")
                    .isEqualTo(model.sample(SampleRequest.builder().count(2).label("4").seed(9).sampler(ddim).guidance(3).build()).pixels())
                    .isNotEqualTo(model.sample(SampleRequest.builder().count(2).label("4").seed(9).sampler(ddim).guidance(1.5).build()).pixels());
        }
        assertThatThrownBy(() -> new TrainConfig.Sampling(-0.5)).hasMessage("sampling.guidance must be ≥ 0, got -0.5");
    }

    @Test
    void aBadRequestNamesTheField() {
        assertThatThrownBy(() -> SampleRequest.builder().count(0).build()).hasMessage("count must be at least 1, got 0");
        assertThatThrownBy(() -> SampleRequest.builder().guidance(-1).build()).hasMessage("guidance must be ≥ 0, got -1.0");
        assertThatThrownBy(() -> SampleRequest.builder().count(3).labels(List.of("1", "2")).build())
                .hasMessage("labels must be one for all samples or one per sample, got 2 for 3");
    }

    @Test
    void aMissingModelIsAnErrorNamingIt(@TempDir Path dir) {
        assertThatThrownBy(() -> DiffusionModel.open(ModelSource.runDirectory(dir.resolve("nowhere"))))
                .hasMessage(dir.resolve("nowhere") + ": no such run or checkpoint directory");
    }
}

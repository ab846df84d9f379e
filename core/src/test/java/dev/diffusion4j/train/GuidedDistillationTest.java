package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.TestNets;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.model.Weights;
import dev.diffusion4j.sample.DdimSampler;
import dev.diffusion4j.sample.Guidance;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.testing.Tensors;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Guided distillation (Meng et al. 2023): the target is the teacher's two DDIM steps under classifier-free guidance at
 * each item's own scale, as the sampler computes them; a student that takes the scale as an input starts as its
 * teacher's conditional prediction at every scale; the training step draws one scale per item, in the range and again
 * the same on a second draw.
 */
class GuidedDistillationTest {
    private static final NoiseSchedule COSINE = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
    private static final GaussianDiffusion EPS = GaussianDiffusion.paperDefaults(COSINE);
    private static final Shape SHAPE = new Shape(6, 1, 2, 3);
    private static final int NULL_LABEL = 3;
    private static final UNetConfig COND = new UNetConfig(8, 1, 8, List.of(1, 2), 1, List.of(4), 1, 0.0, 4, 3);

    /** A smooth nonlinear stand-in for a class-conditional network, whose output moves with the label. */
    private static Denoiser labelled() {
        return (x, t, y) -> {
            long b = x.getShape().get(0);
            long[] ts = t.toLongArray();
            long[] ys = y.toType(DataType.INT64, false).toLongArray();
            float[] scale = new float[(int) b];
            float[] shift = new float[(int) b];
            for (int i = 0; i < b; i++) {
                scale[i] = (float) (0.5 + ts[i] / 1000.0);
                shift[i] = ys[i] == NULL_LABEL ? 0f : (float) (0.25 * (ys[i] - 1) + 0.1);
            }
            Shape per = new Shape(b, 1, 1, 1);
            return x.mul(x.getManager().create(scale, per)).tanh().add(Ops.mul(x, 0.3)).add(x.getManager().create(shift, per));
        };
    }

    @Test
    void theTargetIsTwoDdimStepsOfTheTeacherGuidedAtEachItemsOwnScale() {
        try (NDManager m = Tensors.manager(5)) {
            Distillation round = Distillation.guided(EPS, Distillation.Teacher.classifierFree(labelled(), NULL_LABEL), 4, 0, 4);
            assertThat(round.guided()).isTrue();
            long[] ts = {1000, 750, 500, 250, 750, 1000};
            long[] ys = {0, 1, 2, 0, 2, 1};
            float[] ws = {0f, 1f, 1.5f, 2.5f, 4f, 0.7f};
            NDArray t = m.create(ts);
            NDArray y = m.create(ys);
            NDArray xt = EPS.qSample(m.randomUniform(-0.8f, 0.8f, SHAPE), t, m.randomNormal(SHAPE));
            double[] got = Tensors.doubles(round.target(null, xt, t, y, m.create(ws)));
            double[] xs = Tensors.doubles(xt);
            int per = (int) (SHAPE.size() / SHAPE.get(0));
            for (int i = 0; i < ts.length; i++) {
                // the sampler's own guidance (one scale for the item) and DDIM on the teacher's grid: t → t' → t''
                int from = (int) ts[i];
                int mid = from - 125;
                int to = from - 250;
                int[] grid = to == 0 ? new int[] {from, mid} : new int[] {from, mid, to};
                DdimSampler ddim = DdimSampler.onTimesteps(EPS, grid, 0);
                Denoiser guided = Guidance.of(labelled(), ws[i], NULL_LABEL);
                NDArray x = xt.get(new NDIndex("{}:{}", i, i + 1));
                NDArray yi = y.get(new NDIndex("{}:{}", i, i + 1));
                for (int k = 0; k < 2; k++) {
                    x = ddim.step(guided.apply(x, Tensors.timesteps(m, 1, grid[k]), yi), k, x, null).prevSample();
                }
                double[] landed = Tensors.doubles(x);
                double at = COSINE.sqrtAlphaBar(from);
                double st = COSINE.sqrtOneMinusAlphaBar(from);
                double as = COSINE.sqrtAlphaBar(to);
                double ss = COSINE.sqrtOneMinusAlphaBar(to);
                for (int j = 0; j < per; j++) {
                    double expected = (landed[j] - ss / st * xs[i * per + j]) / (as - ss / st * at);
                    assertThat(got[i * per + j]).as("item %d (t = %d, w = %s), pixel %d", i, from, ws[i], j).isCloseTo(expected, within(2e-5));
                }
            }
            // the scale must change the target where the label is a class, or the test above proves nothing
            double[] atOne = Tensors.doubles(round.target(null, xt, t, y, m.full(new Shape(6), 1f)));
            assertThat(Tensors.maxAbsDiff(got, atOne)).isGreaterThan(1e-3);
        }
    }

    @Test
    void aRoundThatKeepsTheStepsTargetsOneGuidedStepOfTheTeacherOnItsOwnGrid() {
        try (NDManager m = Tensors.manager(10)) {
            Distillation round = Distillation.guidanceOnly(EPS, Distillation.Teacher.classifierFree(labelled(), NULL_LABEL), 4, 0, 4);
            assertThat(round.teacherTimesteps()).containsExactly(250, 500, 750, 1000);
            long[] ts = {1000, 750, 500, 250, 500, 1000};
            long[] ys = {2, 1, 0, 2, NULL_LABEL, 0};
            float[] ws = {3f, 1f, 0.5f, 2f, 2f, 0f};
            NDArray t = m.create(ts);
            NDArray y = m.create(ys);
            NDArray xt = EPS.qSample(m.randomUniform(-0.8f, 0.8f, SHAPE), t, m.randomNormal(SHAPE));
            double[] got = Tensors.doubles(round.target(null, xt, t, y, m.create(ws)));
            int per = (int) (SHAPE.size() / SHAPE.get(0));
            for (int i = 0; i < ts.length; i++) {
                // one DDIM step lands where its own x̂_0 says, so the target is the guided teacher's clipped x̂_0 at (x_t, t)
                NDArray x = xt.get(new NDIndex("{}:{}", i, i + 1));
                NDArray ti = Tensors.timesteps(m, 1, (int) ts[i]);
                NDArray out = Guidance.of(labelled(), ws[i], NULL_LABEL).apply(x, ti, y.get(new NDIndex("{}:{}", i, i + 1)));
                double[] x0 = Tensors.doubles(EPS.predictX0(out, x, ti).clip(-1, 1));
                for (int j = 0; j < per; j++) {
                    assertThat(got[i * per + j]).as("item %d (t = %d, w = %s), pixel %d", i, ts[i], ws[i], j).isCloseTo(x0[j], within(2e-4));
                }
            }
        }
    }

    @Test
    void itemsWithoutAClassGetTheUnconditionalTargetAtAnyScale() {
        try (NDManager m = Tensors.manager(6)) {
            Distillation round = Distillation.guided(EPS, Distillation.Teacher.classifierFree(labelled(), NULL_LABEL), 4, 0, 4);
            NDArray t = m.create(new long[] {1000, 750, 500, 250, 750, 1000});
            NDArray none = m.full(new Shape(6), NULL_LABEL, DataType.INT64);
            NDArray xt = EPS.qSample(m.randomUniform(-0.8f, 0.8f, SHAPE), t, m.randomNormal(SHAPE));
            double[] low = Tensors.doubles(round.target(null, xt, t, none, m.full(new Shape(6), 0.5f)));
            double[] high = Tensors.doubles(round.target(null, xt, t, none, m.full(new Shape(6), 3f)));
            assertThat(Tensors.maxAbsDiff(low, high)).isLessThan(1e-6);
        }
    }

    @Test
    void aGuidedRoundNeedsAScalePerItemAndAnUnguidedOneRefusesIt() {
        try (NDManager m = Tensors.manager(7)) {
            NDArray t = m.create(new long[] {1000});
            NDArray x = m.randomNormal(new Shape(1, 1, 2, 3));
            NDArray y = m.create(new long[] {1});
            Distillation guided = Distillation.guided(EPS, Distillation.Teacher.classifierFree(labelled(), NULL_LABEL), 4, 1, 3);
            assertThatThrownBy(() -> guided.target(null, x, t, y)).hasMessageContaining("needs a guidance scale per item");
            Distillation plain = new Distillation(EPS, labelled(), 4);
            assertThatThrownBy(() -> plain.target(null, x, t, y, m.full(new Shape(1), 2f))).hasMessageContaining("not guided");
            assertThatThrownBy(() -> Distillation.guided(EPS, Distillation.Teacher.plain(labelled()), 4, 3, 1))
                    .hasMessageContaining("0 ≤ min ≤ max");
        }
    }

    @Test
    void aStudentThatTakesTheScaleStartsAsItsTeachersConditionalPredictionAtEveryScale() {
        UNetConfig student = COND.withGuidanceInput(true);
        Map<String, SafeTensors.Tensor> teacherWeights = TestNets.randomWeights(COND, 11, 0.3);
        Map<String, SafeTensors.Tensor> start = Distillation.startingWeights(teacherWeights, student, Randomness.of(3));
        assertThat(start.keySet()).containsAll(teacherWeights.keySet()).contains("guidance.fc1.weight", "guidance.fc2.weight");
        assertThat(start.get("guidance.fc1.weight").data()).as("the first layer is drawn, not zero").isNotEqualTo(
                new float[start.get("guidance.fc1.weight").data().length]);
        try (NDManager m = Tensors.manager(8)) {
            UNet teacher = new UNet(COND);
            Weights.initialize(teacher, m, teacherWeights, "teacher");
            UNet net = new UNet(student);
            Weights.initialize(net, m, start, "student");
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(4, 1, 8, 8));
            NDArray t = m.create(new long[] {1, 300, 600, 1000});
            NDArray y = m.create(new long[] {0, 1, 2, 3});
            double[] want = Tensors.doubles(teacher.forward(ps, x, t, y, false));
            for (float w : new float[] {0f, 1f, 2.5f, 7f}) {
                double[] got = Tensors.doubles(net.forward(ps, x, t, y, m.full(new Shape(4), w), false));
                assertThat(Tensors.maxAbsDiff(got, want)).as("w = %s", w).isZero();
            }
            // a teacher that already takes the scale (a later round) passes its weights on unchanged
            assertThat(Distillation.startingWeights(start, student, Randomness.of(9))).isSameAs(start);
        }
    }

    @Test
    void aNetworkThatTakesTheScaleUsesItAndSamplesInOnePassPerStep() {
        UNetConfig student = COND.withGuidanceInput(true);
        try (NDManager m = Tensors.manager(9)) {
            UNet net = TestNets.random(student, 12, m);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(3, 1, 8, 8));
            NDArray t = m.create(new long[] {100, 500, 900});
            NDArray y = m.create(new long[] {0, 2, 1});
            double[] one = Tensors.doubles(net.forward(ps, x, t, y, m.full(new Shape(3), 1f), false));
            double[] two = Tensors.doubles(net.forward(ps, x, t, y, m.full(new Shape(3), 2f), false));
            assertThat(Tensors.maxAbsDiff(one, two)).as("the scale moves the output of a trained embedding").isGreaterThan(1e-3);
            assertThat(Tensors.doubles(Guidance.of(net, ps, 2).apply(x, t, y))).as("one pass at the scale").containsExactly(two);
            assertThat(Tensors.doubles(Denoiser.of(net, ps).apply(x, t, y))).as("its plain output is w = 1").containsExactly(one);
            assertThatThrownBy(() -> net.forward(ps, x, t, y, false)).hasMessageContaining("takes the guidance scale as an input");
            UNet plain = TestNets.random(COND, 12, m);
            assertThatThrownBy(() -> plain.forward(ps, x, t, y, m.full(new Shape(3), 1f), false))
                    .hasMessageContaining("does not take the guidance scale");
            assertThatThrownBy(() -> COND.withClasses(0).withGuidanceInput(true)).hasMessageContaining("needs a class-conditional network");
        }
    }

    @Test
    void theTrainingStepDrawsOneScalePerItemInTheRangeAndTheSameAgain() {
        TrainConfig c = TinyRuns.conditional(1, 0.1);
        TrainConfig guidedConfig = c.withModel(c.model().withGuidanceInput(true));
        Map<String, SafeTensors.Tensor> weights = TestNets.randomWeights(guidedConfig.model(), 4, 0.1);
        try (Trainer tr = Trainer.startingFrom(guidedConfig, TinyRuns.labelledBlobs(16), weights, "random",
                d -> Distillation.guided(d, Distillation.Teacher.classifierFree((x, t, y) -> x, 2), 4, 1, 3))) {
            double lo = Double.MAX_VALUE;
            double hi = -Double.MAX_VALUE;
            for (long k = 1; k <= 50; k++) {
                float[] w = tr.draws(k).guidance();
                assertThat(w).hasSize(8);
                assertThat(tr.draws(k).guidance()).as("step %d drawn again", k).containsExactly(w);
                for (float v : w) {
                    assertThat((double) v).isBetween(1.0, 3.0);
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            assertThat(lo).as("400 uniform draws reach near both ends").isLessThan(1.1);
            assertThat(hi).isGreaterThan(2.9);
        }
        try (Trainer plain = Trainer.fresh(c, TinyRuns.labelledBlobs(16))) {
            assertThat(plain.draws(1).guidance()).as("an unguided objective draws no scale").isNull();
        }
    }
}

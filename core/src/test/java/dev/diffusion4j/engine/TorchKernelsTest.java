package dev.diffusion4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.diffusion4j.testing.Tensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The libtorch kernels reached through the hand-written TorchScript module give the values and the
 * gradients (input, scale and shift) of GroupNorm and SiLU written out with DJL's own operators, in
 * float64, with and without autograd recording.
 */
class TorchKernelsTest {
    @BeforeAll
    static void kernelsLoad() {
        Djl.engine();
        try (NDManager m = Tensors.manager(0)) {
            NDArray x = m.randomNormal(new Shape(2, 4, 3, 3));
            assertThat(TorchKernels.silu(x)).as("the TorchScript module loads").isNotNull();
        }
        assertThat(TorchKernels.enabled()).isTrue();
    }

    /** GroupNorm by its definition: per sample and group, (x - mean) / sqrt(var + eps), then γ, β. */
    private static NDArray reference(NDArray x, int groups, NDArray gamma, NDArray beta, double eps, boolean silu) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        NDArray g = x.reshape(n, groups, -1);
        NDArray centred = g.sub(g.mean(new int[] {2}, true));
        NDArray var = centred.square().mean(new int[] {2}, true);
        NDArray y = centred.div(Ops.add(var, eps).sqrt()).reshape(s)
                .mul(gamma.reshape(1, c, 1, 1)).add(beta.reshape(1, c, 1, 1));
        return silu ? y.mul(y.getNDArrayInternal().sigmoid()) : y;
    }

    private static double[] d(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private record Result(double[] y, double[] dx, double[] dGamma, double[] dBeta) {}

    private static Result run(NDManager m, NDArray x0, NDArray g0, NDArray b0, NDArray up, boolean fused, int groups, boolean silu) {
        NDArray x = x0.duplicate();
        NDArray gamma = g0.duplicate();
        NDArray beta = b0.duplicate();
        x.setRequiresGradient(true);
        gamma.setRequiresGradient(true);
        beta.setRequiresGradient(true);
        NDArray y;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            y = fused ? TorchKernels.groupNorm(x, groups, gamma, beta, 1e-5, silu) : reference(x, groups, gamma, beta, 1e-5, silu);
            gc.backward(y.mul(up).sum());
        }
        return new Result(d(y), d(x.getGradient()), d(gamma.getGradient()),
                d(beta.getGradient()));
    }

    @ParameterizedTest(name = "{0} groups of {1} channels, SiLU {2}")
    @CsvSource({"32, 64, true", "8, 64, false", "1, 16, true", "16, 16, true"})
    void groupNormMatchesItsDefinitionWithGradients(int groups, int channels, boolean silu) {
        try (NDManager m = Tensors.manager(3)) {
            Shape shape = new Shape(3, channels, 5, 7);
            NDArray x = m.randomNormal(0, 2, shape, DataType.FLOAT64).add(m.create(0.5));
            NDArray gamma = m.randomNormal(0, 1, new Shape(channels), DataType.FLOAT64);
            NDArray beta = m.randomNormal(0, 1, new Shape(channels), DataType.FLOAT64);
            NDArray up = m.randomNormal(0, 1, shape, DataType.FLOAT64);
            Result want = run(m, x, gamma, beta, up, false, groups, silu);
            Result got = run(m, x, gamma, beta, up, true, groups, silu);
            assertThat(Tensors.maxAbsDiff(got.y(), want.y())).isLessThan(1e-10);
            assertThat(Tensors.maxAbsDiff(got.dx(), want.dx())).isLessThan(1e-9);
            assertThat(Tensors.maxAbsDiff(got.dGamma(), want.dGamma())).isLessThan(1e-9);
            assertThat(Tensors.maxAbsDiff(got.dBeta(), want.dBeta())).isLessThan(1e-9);
            // the values are not trivially equal: the check would see a wrong group count
            Result otherGroups = run(m, x, gamma, beta, up, false, groups == 1 ? 2 : groups / 2, silu);
            assertThat(Tensors.maxAbsDiff(otherGroups.y(), want.y())).isGreaterThan(1e-3);
        }
    }

    @Test
    void withoutRecordingTheInPlaceSiluGivesTheSameValuesInFloat32() {
        try (NDManager m = Tensors.manager(4)) {
            NDArray x = m.randomNormal(new Shape(4, 32, 6, 6));
            NDArray gamma = m.randomNormal(new Shape(32));
            NDArray beta = m.randomNormal(new Shape(32));
            assertThat(Ops.gradientRecording()).isFalse();
            NDArray got = TorchKernels.groupNorm(x, 8, gamma, beta, 1e-5, true);
            NDArray want = reference(x, 8, gamma, beta, 1e-5, true);
            assertThat(got.getManager()).isSameAs(x.getManager());
            assertThat(Tensors.maxAbsDiff(d(got), d(want))).isLessThan(1e-5);
            assertThat(Tensors.maxAbsDiff(d(TorchKernels.silu(x)),
                    d(x.mul(x.getNDArrayInternal().sigmoid())))).isLessThan(1e-6);
        }
    }

    @Test
    void siluGradient() {
        try (NDManager m = Tensors.manager(5)) {
            NDArray x = m.randomNormal(0, 3, new Shape(1000), DataType.FLOAT64);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(TorchKernels.silu(x).sum());
            }
            // d/dx x·σ(x) = σ(x)·(1 + x·(1 - σ(x)))
            double[] v = d(x);
            double[] g = d(x.getGradient());
            for (int i = 0; i < v.length; i++) {
                double s = 1 / (1 + Math.exp(-v[i]));
                assertThat(g[i]).isCloseTo(s * (1 + v[i] * (1 - s)), org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    @ParameterizedTest(name = "rate {0}")
    @CsvSource({"0.1", "0.3"})
    void dropoutZeroesTheRateAndScalesTheRestWithTheSameMaskInTheGradient(double p) {
        try (NDManager m = Tensors.manager(6)) {
            int n = 200_000;
            NDArray x = m.randomUniform(0.5f, 2f, new Shape(8, 25, 1000)).toType(DataType.FLOAT64, false);
            x.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = TorchKernels.dropout(x, p);
                gc.backward(y.sum());
            }
            double[] xs = d(x);
            double[] ys = d(y);
            double[] gs = d(x.getGradient());
            double scale = 1 / (1 - p);
            int zeros = 0;
            for (int i = 0; i < n; i++) {
                if (ys[i] == 0) {
                    zeros++;
                    assertThat(gs[i]).isZero();
                } else {
                    assertThat(ys[i] / xs[i]).isCloseTo(scale, org.assertj.core.data.Offset.offset(1e-9));
                    assertThat(gs[i]).isCloseTo(scale, org.assertj.core.data.Offset.offset(1e-9));
                }
            }
            double sigma = Math.sqrt(p * (1 - p) / n);
            assertThat((double) zeros / n).isCloseTo(p, org.assertj.core.data.Offset.offset(5 * sigma));
        }
    }

    @Test
    void dropoutMasksFollowTheEngineSeed() {
        try (NDManager m = Tensors.manager(7)) {
            NDArray x = m.ones(new Shape(4, 8, 16, 16));
            Engine.getInstance().setRandomSeed(11);
            double[] a = d(TorchKernels.dropout(x, 0.2));
            Engine.getInstance().setRandomSeed(11);
            double[] b = d(TorchKernels.dropout(x, 0.2));
            double[] c = d(TorchKernels.dropout(x, 0.2));
            assertThat(a).containsExactly(b);
            assertThat(Tensors.maxAbsDiff(a, c)).isGreaterThan(1);
            // the threshold: p = 0 keeps every draw, p = 1/2 drops the negative half
            assertThat(TorchKernels.dropThreshold(0)).isEqualTo(Integer.MIN_VALUE);
            assertThat(TorchKernels.dropThreshold(0.5)).isZero();
        }
    }
}

package dev.diffusion4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.diffusion4j.testing.Skips;
import dev.diffusion4j.testing.Tensors;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Scalar operands must survive a garbage collection between forward and backward (docs/ENGINE.md,
 * "Scalar operands"). The test forces one and overwrites freed memory; with DJL's {@code mul(Number)}
 * the gradient of 3x comes back wrong (the negative control shows it where the machine has the
 * fault: 20 of 20 runs on the developer machines so far), with {@link Ops} never.
 */
class OpsGradientTest {
    private static int wrongRuns(Function<NDArray, NDArray> f, Function<NDArray, NDArray> expectedGradient) throws Exception {
        int bad = 0;
        try (NDManager m = Tensors.manager(1)) {
            for (int i = 0; i < 20; i++) {
                try (NDManager sm = m.newSubManager()) {
                    NDArray x = sm.randomUniform(0.5f, 2f, new Shape(1000));
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = f.apply(x);
                        System.gc();
                        Thread.sleep(10);
                        for (int j = 0; j < 50; j++) {
                            sm.create(new float[100_000]).close(); // reuse memory that a freed scalar held
                        }
                        gc.backward(y.sum());
                    }
                    float[] g = x.getGradient().toFloatArray();
                    float[] want = expectedGradient.apply(x).toFloatArray();
                    for (int k = 0; k < g.length; k++) {
                        if (!(Math.abs(g[k] - want[k]) <= 1e-5 * (1 + Math.abs(want[k])))) {
                            bad++;
                            break;
                        }
                    }
                }
            }
        }
        return bad;
    }

    @Test
    void negativeControlDjlsOwnScalarOperandLosesItsGradient() throws Exception {
        // the fault Ops exists for, shown with DJL's own mul(Number) in the same harness
        int wrong = wrongRuns(x -> x.mul(3f), x -> x.onesLike().mul(x.getManager().full(new Shape(), 3f)));
        System.out.println("DJL mul(Number), gradient after a GC: wrong in " + wrong + " of 20 runs");
        Skips.unless(wrong > 0, "DJL's mul(Number) kept its gradient through a GC in 20 runs on this machine: "
                + "the fault Ops avoids did not show here");
        assertThat(wrong).isPositive();
    }

    @Test
    void scalarProductsKeepTheirGradientAfterAGc() throws Exception {
        assertThat(wrongRuns(x -> Ops.mul(x, 3), x -> x.onesLike().mul(x.getManager().full(new Shape(), 3f)))).isZero();
        assertThat(wrongRuns(x -> Ops.div(x, 4), x -> x.onesLike().div(x.getManager().full(new Shape(), 4f)))).isZero();
    }

    @Test
    void powersAndClampsKeepTheirGradientAfterAGc() throws Exception {
        assertThat(wrongRuns(x -> Ops.pow(x, 3), x -> x.square().mul(x.getManager().full(new Shape(), 3f)))).isZero();
        assertThat(wrongRuns(x -> Ops.maximum(Ops.mul(x, 2), 1e-3), x -> x.onesLike().mul(x.getManager().full(new Shape(), 2f)))).isZero();
    }

    @Test
    void siluHasTheRightGradient() throws Exception {
        // d/dx x σ(x) = σ(x) (1 + x (1 - σ(x)))
        assertThat(wrongRuns(Ops::silu, x -> {
            NDArray s = x.getNDArrayInternal().sigmoid();
            return s.mul(x.mul(x.onesLike().sub(s)).add(x.onesLike()));
        })).isZero();
    }

    @Test
    void constantsAreLibtorchCopies() throws Exception {
        // a constant whose Java buffer is gone must still hold its values
        try (NDManager m = Tensors.manager(1)) {
            NDArray c = Ops.constant(m, new float[] {1.5f, -2f}, new Shape(2));
            System.gc();
            Thread.sleep(10);
            for (int j = 0; j < 20; j++) {
                m.create(new float[100_000]).close();
            }
            assertThat(c.toFloatArray()).containsExactly(1.5f, -2f);
        }
    }
}

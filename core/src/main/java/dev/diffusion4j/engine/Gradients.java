package dev.diffusion4j.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gradients that a backward pass left on parameters: gathered into a step's scope, measured,
 * scaled, and zeroed for the next pass. libtorch accumulates gradients across backward calls, and
 * DJL's {@code getGradient()} lands in the parameter's long-lived manager unless it is moved
 * (docs/ENGINE.md, "Ownership"), so every training loop does these four things the same way.
 */
public final class Gradients {
    private Gradients() {}

    /** A scope in which autograd records nothing on this thread; {@link #close()} puts back what was there. */
    public static final class NotRecording implements AutoCloseable {
        private final boolean was;

        private NotRecording() {
            was = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }

        @Override
        public void close() {
            ai.djl.pytorch.jni.JniUtils.setGradMode(was);
        }
    }

    /**
     * Turns autograd's recording off on this thread until the scope closes. libtorch's grad mode is per thread and on
     * by default; DJL turns it off only on the thread that starts the engine, and its GradientCollector puts back
     * whatever it found. So on any other thread (an executor's, a web server's) inference would record a graph and a
     * training step's in-place optimiser update on the weights would fail ("a leaf Variable that requires grad is
     * being used in an in-place operation"): every training step and sampling loop runs in this scope.
     */
    public static NotRecording notRecording() {
        return new NotRecording();
    }

    /** The gradient of every parameter, by name, owned by {@code scope}. */
    public static Map<String, NDArray> of(Map<String, Parameter> params, NDManager scope) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray g = e.getValue().getArray().getGradient();
            g.attach(scope);
            grads.put(e.getKey(), g);
        }
        return grads;
    }

    /** The global L2 norm √(Σ ‖g‖²) over all gradients. */
    public static double globalNorm(Collection<NDArray> grads) {
        NDArray sumSq = null;
        for (NDArray g : grads) {
            NDArray s = g.square().sum();
            sumSq = sumSq == null ? s : sumSq.add(s);
        }
        return sumSq == null ? 0 : Math.sqrt(sumSq.getFloat());
    }

    /** Multiplies every gradient by {@code factor}, in place. */
    public static void scale(Collection<NDArray> grads, double factor, NDManager scope) {
        NDArray f = Ops.scalar(scope, factor);
        for (NDArray g : grads) {
            g.muli(f);
        }
    }

    /** Zeroes every parameter's accumulated gradient in place, ready for the next backward pass. */
    public static void zero(Map<String, Parameter> params) {
        for (Parameter p : params.values()) {
            JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
    }
}

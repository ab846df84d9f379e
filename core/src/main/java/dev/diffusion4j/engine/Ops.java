package dev.diffusion4j.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with Java numbers that keeps autograd correct (docs/ENGINE.md, "Scalar operands").
 *
 * <p>DJL's {@code NDArray.mul(Number)} and its siblings wrap the number in a tensor backed by a
 * Java buffer and close it right after the call; autograd keeps pointing at that memory, and a
 * garbage collection before {@code backward} turns the gradient into garbage. Every scalar here is
 * instead a 0-d tensor made by libtorch ({@code full}), which libtorch owns for as long as the
 * graph needs it. A test scans the compiled classes and fails if any class but this one calls a
 * {@code Number} overload of DJL's arithmetic.
 *
 * <p>Each result lives in the manager of the array operand.
 */
public final class Ops {
    private Ops() {}

    /** A 0-d float32 tensor holding {@code v}, owned by libtorch, in manager {@code m}. */
    public static NDArray scalar(NDManager m, double v) {
        return m.full(new Shape(), (float) v, DataType.FLOAT32);
    }

    private static NDArray scalarLike(NDArray x, double v) {
        return x.getManager().full(new Shape(), (float) v, x.getDataType());
    }

    /** {@code x * v}. */
    public static NDArray mul(NDArray x, double v) {
        return x.mul(scalarLike(x, v));
    }

    /** {@code x / v}. */
    public static NDArray div(NDArray x, double v) {
        return x.div(scalarLike(x, v));
    }

    /** {@code x + v}. */
    public static NDArray add(NDArray x, double v) {
        return x.add(scalarLike(x, v));
    }

    /** {@code x - v}. */
    public static NDArray sub(NDArray x, double v) {
        return x.sub(scalarLike(x, v));
    }

    /** {@code v - x}. */
    public static NDArray rsub(double v, NDArray x) {
        return scalarLike(x, v).sub(x);
    }

    /** {@code x ^ v}. */
    public static NDArray pow(NDArray x, double v) {
        return x.pow(scalarLike(x, v));
    }

    /** Element-wise {@code max(x, v)}. */
    public static NDArray maximum(NDArray x, double v) {
        return x.maximum(scalarLike(x, v));
    }

    /** Element-wise {@code min(x, v)}. */
    public static NDArray minimum(NDArray x, double v) {
        return x.minimum(scalarLike(x, v));
    }

    /**
     * SiLU (swish with β = 1), {@code x · sigmoid(x)}: libtorch's one-pass kernel ({@link
     * TorchKernels}), else a sigmoid and a product (not DJL's swish, which wraps a Java scalar).
     */
    public static NDArray silu(NDArray x) {
        NDArray fused = TorchKernels.silu(x);
        if (fused != null) {
            return fused;
        }
        NDArray s = x.getNDArrayInternal().sigmoid();
        return overwrite() ? s.muli(x) : x.mul(s);
    }

    /**
     * Inverted dropout at rate {@code p} (training only): {@link TorchKernels#dropout}, else DJL's.
     */
    public static NDArray dropout(NDArray x, double p) {
        NDArray fused = TorchKernels.dropout(x, p);
        return fused != null ? fused : ai.djl.nn.norm.Dropout.dropout(x, (float) p, true).singletonOrThrow();
    }

    /**
     * {@code fresh + other}. When autograd is not recording (sampling, evaluation) the sum
     * overwrites {@code fresh}, saving an allocation and a pass over memory; so {@code fresh} must be
     * a temporary that nothing else holds.
     */
    public static NDArray addInto(NDArray fresh, NDArray other) {
        return overwrite() ? fresh.addi(other) : fresh.add(other);
    }

    /** {@code fresh · g + b}, in place under the same rule as {@link #addInto}. */
    public static NDArray affineInto(NDArray fresh, NDArray g, NDArray b) {
        return overwrite() ? fresh.muli(g).addi(b) : fresh.mul(g).add(b);
    }

    /** {@code -Ddiffusion4j.inplace=false} turns the in-place updates off (to measure what they buy). */
    private static final boolean IN_PLACE = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.inplace"));

    /**
     * Whether temporaries may be overwritten: only while autograd records nothing on this thread
     * (an in-place update of a tensor the graph saved would corrupt the backward pass).
     */
    static boolean overwrite() {
        return IN_PLACE && !gradientRecording();
    }

    /** Whether autograd records operations on this thread (inside a GradientCollector). */
    public static boolean gradientRecording() {
        return ai.djl.pytorch.jni.JniUtils.isGradMode();
    }

    /**
     * A float32 tensor with a copy of {@code data}, owned by libtorch. DJL's {@code create} maps a
     * Java buffer that is freed once its array is closed; a constant that an autograd graph may
     * outlive must be a libtorch copy.
     */
    public static NDArray constant(NDManager m, float[] data, Shape shape) {
        try (NDArray blob = m.create(data, shape)) {
            return blob.duplicate();
        }
    }

    /** {@link #constant(NDManager, float[], Shape)} from double values, rounded to float32. */
    public static NDArray constant(NDManager m, double[] data, Shape shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return constant(m, f, shape);
    }

    /** A float64 tensor with a copy of {@code data}, owned by libtorch: for a step computed in double precision. */
    public static NDArray constant64(NDManager m, double[] data, Shape shape) {
        try (NDArray blob = m.create(data, shape)) {
            return blob.duplicate();
        }
    }

    /** {@code x} as float64 in {@code owner} (a new array, never an alias of {@code x}), differentiable. */
    public static NDArray toDouble(NDArray x, NDManager owner) {
        NDArray d = x.toType(ai.djl.ndarray.types.DataType.FLOAT64, true);
        d.attach(owner);
        return d;
    }
}

package dev.diffusion4j.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Djl;

/** Test helpers: an offline engine, seeded randomness, and conversions to double. */
public final class Tensors {
    private Tensors() {}

    /** A fresh base manager on the offline engine, with a fixed seed. */
    public static NDManager manager(int seed) {
        Djl.engine();
        Engine.getInstance().setRandomSeed(seed);
        return NDManager.newBaseManager();
    }

    /** Timesteps (B) as INT64, all equal to {@code t}. */
    public static NDArray timesteps(NDManager m, int batch, int t) {
        long[] v = new long[batch];
        java.util.Arrays.fill(v, t);
        return m.create(v, new Shape(batch));
    }

    /** The values as doubles. */
    public static double[] doubles(NDArray a) {
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** The largest |a - b|. */
    public static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " != " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (!(d <= m)) {
                m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        return m;
    }
}

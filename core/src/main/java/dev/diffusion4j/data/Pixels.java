package dev.diffusion4j.data;

import ai.djl.ndarray.NDArray;
import dev.diffusion4j.engine.Ops;

/** Between tensors in [-1, 1] and 8-bit pixels: the inverse of {@link ImageDataset#batch}. */
public final class Pixels {
    private Pixels() {}

    /** Values in [-1, 1] (clipped first) to bytes 0..255, rounded to nearest, in the array's order (NCHW). */
    public static byte[] toBytes(NDArray x) {
        float[] f = Ops.mul(Ops.add(x.clip(-1, 1), 1), 127.5).round().clip(0, 255).toFloatArray();
        byte[] b = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = (byte) (int) f[i];
        }
        return b;
    }
}

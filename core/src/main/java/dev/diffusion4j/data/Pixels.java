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

    /** 8-bit pixels back to [-1, 1] (0 → -1, 255 → +1), float32, with the given shape, in {@code m}: the inverse of {@link #toBytes}. */
    public static NDArray fromBytes(byte[] pixels, ai.djl.ndarray.types.Shape shape, ai.djl.ndarray.NDManager m) {
        float[] f = new float[pixels.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) ((pixels[i] & 0xff) / 127.5 - 1);
        }
        return m.create(f, shape);
    }
}

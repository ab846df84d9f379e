package dev.diffusion4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;

/**
 * Images as 8-bit pixels in NCHW order, with optional labels. Pixels become floats in [-1, 1] (x /
 * 127.5 - 1, as in the paper) only when a batch is made.
 *
 * @param name where the images came from, for messages
 * @param count N
 * @param channels C
 * @param height H
 * @param width W
 * @param pixels N·C·H·W bytes, unsigned
 * @param labels N class labels, or null
 * @param classNames the name of each label value, in label order, or null
 */
public record ImageDataset(String name, int count, int channels, int height, int width, byte[] pixels, int[] labels,
        java.util.List<String> classNames) {
    public ImageDataset {
        if ((long) count * channels * height * width != pixels.length) {
            throw new IllegalArgumentException(name + ": " + pixels.length + " pixel bytes for " + count + "x" + channels
                    + "x" + height + "x" + width);
        }
        if (labels != null && labels.length != count) {
            throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + count + " images");
        }
        if (count < 1) {
            throw new IllegalArgumentException(name + ": no images");
        }
        classNames = classNames == null ? null : java.util.List.copyOf(classNames);
    }

    /** Images with labels (or none) but no class names. */
    public ImageDataset(String name, int count, int channels, int height, int width, byte[] pixels, int[] labels) {
        this(name, count, channels, height, width, pixels, labels, null);
    }


    /** Pixels per image. */
    public int imageSize() {
        return channels * height * width;
    }

    /** The first {@code n} images. */
    public ImageDataset head(int n) {
        return slice(0, n);
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive, clipped to the count). */
    public ImageDataset slice(int from, int to) {
        int end = Math.min(to, count);
        if (from < 0 || from >= end) {
            throw new IllegalArgumentException(name + ": no images in [" + from + ", " + to + ")");
        }
        byte[] p = java.util.Arrays.copyOfRange(pixels, from * imageSize(), end * imageSize());
        return new ImageDataset(name, end - from, channels, height, width, p,
                labels == null ? null : java.util.Arrays.copyOfRange(labels, from, end), classNames);
    }

    /** The images in an order drawn from {@code rng} (the same seed, the same order). */
    public ImageDataset shuffled(Randomness rng) {
        int[] order = rng.permutation(count);
        int size = imageSize();
        byte[] p = new byte[pixels.length];
        int[] l = labels == null ? null : new int[count];
        for (int i = 0; i < count; i++) {
            System.arraycopy(pixels, order[i] * size, p, i * size, size);
            if (l != null) {
                l[i] = labels[order[i]];
            }
        }
        return new ImageDataset(name, count, channels, height, width, p, l, classNames);
    }

    /**
     * A batch of images as float32 in [-1, 1], shape (B, C, H, W).
     *
     * @param flip per item, whether to mirror it left-right (or null)
     */
    public NDArray batch(NDManager m, int[] indices, boolean[] flip) {
        int size = imageSize();
        float[] out = new float[indices.length * size];
        for (int b = 0; b < indices.length; b++) {
            int base = indices[b] * size;
            boolean mirror = flip != null && flip[b];
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < height; y++) {
                    int row = base + (c * height + y) * width;
                    int dst = b * size + (c * height + y) * width;
                    for (int x = 0; x < width; x++) {
                        int v = pixels[row + (mirror ? width - 1 - x : x)] & 0xff;
                        out[dst + x] = v / 127.5f - 1f;
                    }
                }
            }
        }
        return Ops.constant(m, out, new Shape(indices.length, channels, height, width));
    }
}

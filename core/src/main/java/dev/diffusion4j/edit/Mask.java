package dev.diffusion4j.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Randomness;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which pixels of an image are known: kept from the input, where the rest is filled in by the model. The same for
 * every channel and every sample. {@code Mask.parse("bottom-half", 28, 28)} keeps the top half.
 *
 * @param keep row-major, height x width: true where the input is kept
 */
public record Mask(int height, int width, boolean[] keep) {
    public Mask {
        if (keep.length != height * width) {
            throw new IllegalArgumentException("a " + height + "x" + width + " mask has " + height * width + " pixels, not " + keep.length);
        }
        keep = keep.clone();
    }

    /** Every pixel kept (nothing to fill in). */
    public static Mask all(int height, int width) {
        boolean[] k = new boolean[height * width];
        Arrays.fill(k, true);
        return new Mask(height, width, k);
    }

    /** No pixel kept: the model draws everything. */
    public static Mask none(int height, int width) {
        return new Mask(height, width, new boolean[height * width]);
    }

    /**
     * A named mask, naming the region to fill in: {@code bottom-half}, {@code top-half}, {@code left-half},
     * {@code right-half}, {@code center} (the central square of half the size, 14x14 on MNIST), {@code random:P}
     * (each pixel filled in with probability P, from a fixed seed), and for mel images, which are frames wide,
     * {@code frames:A-B} (frames A to B, B excluded) or {@code seconds:A-B} (given the frames per second).
     *
     * @param framesPerSecond frames of a mel image per second of sound, or 0 for an image
     * @throws IllegalArgumentException naming the spec and the masks there are
     */
    public static Mask parse(String spec, int height, int width, double framesPerSecond) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "bottom-half" -> region(height, width, (y, x) -> y >= height / 2);
            case "top-half" -> region(height, width, (y, x) -> y < height / 2);
            case "left-half" -> region(height, width, (y, x) -> x < width / 2);
            case "right-half" -> region(height, width, (y, x) -> x >= width / 2);
            case "center" -> region(height, width, (y, x) -> y >= height / 4 && y < height / 4 + height / 2 && x >= width / 4
                    && x < width / 4 + width / 2);
            default -> parsed(s, spec, height, width, framesPerSecond);
        };
    }

    /** {@link #parse(String, int, int, double)} for an image. */
    public static Mask parse(String spec, int height, int width) {
        return parse(spec, height, width, 0);
    }

    private static Mask parsed(String s, String spec, int height, int width, double framesPerSecond) {
        try {
            if (s.startsWith("random:")) {
                double p = Double.parseDouble(s.substring(7));
                if (!(p >= 0 && p <= 1)) {
                    throw new IllegalArgumentException("mask " + spec + ": P must be in [0, 1]");
                }
                java.util.SplittableRandom r = Randomness.of(0).derive("random mask").stream();
                boolean[] k = new boolean[height * width];
                for (int i = 0; i < k.length; i++) {
                    k[i] = r.nextDouble() >= p;
                }
                return new Mask(height, width, k);
            }
            if (s.startsWith("frames:") || s.startsWith("seconds:")) {
                boolean seconds = s.startsWith("seconds:");
                if (seconds && framesPerSecond <= 0) {
                    throw new IllegalArgumentException("mask " + spec + ": seconds apply to a model of sound only");
                }
                String[] ab = s.substring(s.indexOf(':') + 1).split("-", 2);
                double scale = seconds ? framesPerSecond : 1;
                int a = (int) Math.round(Double.parseDouble(ab[0]) * scale);
                int b = (int) Math.round(Double.parseDouble(ab[1]) * scale);
                if (a < 0 || b <= a || a >= width) {
                    throw new IllegalArgumentException("mask " + spec + ": an empty or reversed span of frames " + a + "-" + b + " of " + width);
                }
                return region(height, width, (y, x) -> x >= a && x < b);
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("mask " + spec + ": not a number where one belongs", e);
        }
        throw new IllegalArgumentException("mask '" + spec + "' is not a PNG nor one of bottom-half, top-half, left-half, right-half, "
                + "center, random:P, frames:A-B, seconds:A-B");
    }

    /** A mask from a picture of it: white (grey ≥ 128) is kept, black filled in. */
    public static Mask fromImage(BufferedImage img) {
        boolean[] k = new boolean[img.getWidth() * img.getHeight()];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int grey = (((rgb >> 16) & 255) + ((rgb >> 8) & 255) + (rgb & 255)) / 3;
                k[y * img.getWidth() + x] = grey >= 128;
            }
        }
        return new Mask(img.getHeight(), img.getWidth(), k);
    }

    private interface Region {
        boolean fill(int y, int x);
    }

    private static Mask region(int height, int width, Region fill) {
        boolean[] k = new boolean[height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                k[y * width + x] = !fill.fill(y, x);
            }
        }
        return new Mask(height, width, k);
    }

    /** The number of pixels kept. */
    public int known() {
        int n = 0;
        for (boolean b : keep) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** The mask as a (1, C, H, W) float array, 1 where kept, in {@code m}. */
    public NDArray toArray(NDManager m, int channels) {
        float[] f = new float[channels * keep.length];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < keep.length; i++) {
                f[c * keep.length + i] = keep[i] ? 1f : 0f;
            }
        }
        return m.create(f, new Shape(1, channels, height, width));
    }

    /** 8-bit NCHW pixels with the filled-in region grey (what the model is given to start from, shown as a picture). */
    public byte[] hide(byte[] pixels, int count, int channels) {
        byte[] out = pixels.clone();
        int per = channels * keep.length;
        for (int n = 0; n < count; n++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < keep.length; i++) {
                    if (!keep[i]) {
                        out[n * per + c * keep.length + i] = (byte) 128;
                    }
                }
            }
        }
        return out;
    }
}

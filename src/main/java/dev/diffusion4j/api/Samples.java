package dev.diffusion4j.api;

import dev.diffusion4j.io.ImageFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Drawn samples as 8-bit pixels, NCHW: {@code samples.images()}, {@code samples.writeGrid(Path.of("grid.png"))}.
 *
 * @param pixels count x channels x height x width bytes, 0 = -1 and 255 = +1 in the model's space
 * @param labels the class label of each sample, or null for an unconditional model
 */
public record Samples(byte[] pixels, int count, int channels, int height, int width, long[] labels) {
    public Samples {
        if (pixels.length != (long) count * channels * height * width) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " bytes, not " + count + " x " + channels + " x " + height
                    + " x " + width);
        }
    }

    /** Sample i as an image (grey for one channel, RGB for three). */
    public BufferedImage image(int i) {
        return ImageFiles.image(pixels, i, channels, height, width);
    }

    /** Every sample as an image, in order. */
    public List<BufferedImage> images() {
        List<BufferedImage> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(image(i));
        }
        return out;
    }

    /** An (N, C, H, W) uint8 .npy file, as {@code sample --out FILE.npy} writes. */
    public void writeNpy(Path file) throws IOException {
        ImageFiles.writeNpy(file, pixels, count, channels, height, width);
    }

    /** A square-ish grid PNG with a 2-pixel gap, as {@code sample --out FILE.png} writes for one class or none. */
    public void writeGrid(Path file) throws IOException {
        ImageFiles.writePng(file, ImageFiles.grid(pixels, count, channels, height, width, (int) Math.ceil(Math.sqrt(count)), 2));
    }
}

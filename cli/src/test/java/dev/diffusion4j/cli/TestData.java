package dev.diffusion4j.cli;

import dev.diffusion4j.data.Wav;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small data sets the command-line tests train on. */
final class TestData {
    private TestData() {}

    /** {@code n} 8x8 gray PNGs, each one bright pixel, in a new folder {@code dir}. */
    static Path dots(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setSample(i % 8, i / 2 % 8, 0, 255);
            ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
        }
        return dir;
    }

    /**
     * Spoken "digits" 0 and 1 as noisy tones at 8 kHz, eight takes each, named as the Free Spoken Digit
     * Dataset names its files (takes 0-4 are its test split), in a new folder {@code dir}.
     *
     * @param length the shortest take, in samples (up to 100 more)
     * @param hz the tone of digit 0; digit 1's is {@code hz + spacing}
     */
    static Path tones(Path dir, long seed, int length, double hz, double spacing) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(seed);
        for (int digit = 0; digit < 2; digit++) {
            for (int index = 0; index < 8; index++) {
                float[] x = new float[length + r.nextInt(100)];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (0.3 * Math.sin(2 * Math.PI * (hz + spacing * digit) * i / 8000.0) + 0.01 * r.nextGaussian());
                }
                new Wav(x, 8000).write(dir.resolve(digit + "_tester_" + index + ".wav"));
            }
        }
        return dir;
    }
}

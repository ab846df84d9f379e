package dev.diffusion4j.api;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.io.Npy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Images to edit, read from a file and checked against the model they are for. */
final class Inputs {
    private Inputs() {}

    static Samples read(Path file, ModelInfo info, AudioConfig audio, NDManager parent) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such file");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) {
            return npy(file, info, audio);
        }
        if (name.endsWith(".wav")) {
            return wav(file, info, audio, parent);
        }
        return png(file, info, audio);
    }

    private static Samples npy(Path file, ModelInfo info, AudioConfig audio) throws IOException {
        Npy.Uint8 a = Npy.read(file);
        int[] s = a.shape();
        if (s.length != 4 || s[1] != info.channels() || s[2] != info.height() || s[3] != info.width()) {
            throw new IOException(file + ": shape " + java.util.Arrays.toString(s) + ", not (N, " + info.channels() + ", " + info.height() + ", "
                    + info.width() + ") for " + info.name());
        }
        return new Samples(a.data(), s[0], s[1], s[2], s[3], null, List.of(), info.audio() ? audio : null, 0);
    }

    private static Samples png(Path file, ModelInfo info, AudioConfig audio) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IOException(file + ": not a PNG or JPEG image");
        }
        if (img.getHeight() != info.height() || img.getWidth() != info.width()) {
            throw new IOException(file + ": " + img.getWidth() + "x" + img.getHeight() + " pixels, not " + info.name() + "'s " + info.width() + "x"
                    + info.height());
        }
        int hw = info.height() * info.width();
        byte[] px = new byte[info.channels() * hw];
        for (int y = 0; y < info.height(); y++) {
            for (int x = 0; x < info.width(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 255;
                int g = (rgb >> 8) & 255;
                int b = rgb & 255;
                int i = y * info.width() + x;
                if (info.channels() == 1) {
                    px[i] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
                } else {
                    px[i] = (byte) r;
                    px[hw + i] = (byte) g;
                    px[2 * hw + i] = (byte) b;
                }
            }
        }
        return new Samples(px, 1, info.channels(), info.height(), info.width(), null, List.of(), info.audio() ? audio : null, 0);
    }

    private static Samples wav(Path file, ModelInfo info, AudioConfig audio, NDManager parent) throws IOException {
        if (!info.audio()) {
            throw new IOException(file + ": a WAV, but " + info.name() + " is a model of images");
        }
        float[] wave = Wav.read(file).resample(audio.sampleRate()).samples();
        try (NDManager m = parent.newSubManager()) {
            byte[] px = MelImages.analyse(new float[][] {wave}, audio, m);
            return new Samples(px, 1, 1, audio.height(), audio.frames(), null, List.of(), audio, 0);
        }
    }
}

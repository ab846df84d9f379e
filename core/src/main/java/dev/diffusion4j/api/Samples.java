package dev.diffusion4j.api;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.ClassNames;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.ImageFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Drawn samples as 8-bit pixels, NCHW: {@code samples.images()}, {@code samples.writeGrid(Path.of("grid.png"))}, and for
 * a model of sound {@code samples.clips()}.
 *
 * @param pixels count x channels x height x width bytes, 0 = -1 and 255 = +1 in the model's space
 * @param count number of samples
 * @param channels image channels
 * @param height image height
 * @param width image width
 * @param labels the class label of each sample, or null for an unconditional model
 * @param classNames the model's class names in label order, possibly empty
 * @param audio how the images map back to sound, or null for a model of images
 * @param seed the request's seed, from which the phases of sound are drawn
 */
public record Samples(byte[] pixels, int count, int channels, int height, int width, long[] labels, List<String> classNames,
        AudioConfig audio, long seed) {
    /**
     * Checks that {@code pixels} holds count x channels x height x width bytes and keeps an unmodifiable copy of
     * {@code classNames} (null: empty).
     *
     * @param pixels count x channels x height x width bytes
     * @param count number of samples
     * @param channels image channels
     * @param height image height
     * @param width image width
     * @param labels the class label of each sample, or null for an unconditional model
     * @param classNames the model's class names in label order, possibly empty
     * @param audio how the images map back to sound, or null for a model of images
     * @param seed the request's seed
     * @throws IllegalArgumentException if {@code pixels} has the wrong length
     */
    public Samples {
        if (pixels.length != (long) count * channels * height * width) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " bytes, not " + count + " x " + channels + " x " + height
                    + " x " + width);
        }
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
    }

    /**
     * Whether these are mel-spectrograms of sound ({@link #clips()} applies).
     *
     * @return whether these samples are of sound
     */
    public boolean isAudio() {
        return audio != null;
    }

    /**
     * Sample i as an image (grey for one channel, RGB for three).
     *
     * @param i the sample's index
     * @return the sample's image
     */
    public BufferedImage image(int i) {
        return ImageFiles.image(pixels, i, channels, height, width);
    }

    /**
     * Every sample as an image, in order.
     *
     * @return the images, one per sample
     */
    public List<BufferedImage> images() {
        List<BufferedImage> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(image(i));
        }
        return out;
    }

    /**
     * The name of sample i's class ("three", or the label number), or null for an unconditional model.
     *
     * @param i the sample's index
     * @return the class's name, or null
     */
    public String labelName(int i) {
        return labels == null ? null : ClassNames.name((int) labels[i], classNames);
    }

    /**
     * Sample i as sound: its mel image back to a waveform by Griffin-Lim, with phases drawn from the request's seed
     * (the same clip every time).
     *
     * @param i the sample's index
     * @return the sample's sound
     * @throws IllegalStateException for a model of images
     */
    public AudioClip clip(int i) {
        if (audio == null) {
            throw new IllegalStateException("these samples are images, not sound: the model was not trained on wav: data");
        }
        Wav wav = MelImages.soundOf(pixels, i, audio, Randomness.of(seed).derive("phases").step(i));
        return new AudioClip(wav.samples(), wav.sampleRate(), image(i));
    }

    /**
     * Every sample as sound, in order.
     *
     * @return the clips, one per sample
     * @throws IllegalStateException for a model of images
     */
    public List<AudioClip> clips() {
        List<AudioClip> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(clip(i));
        }
        return out;
    }

    /**
     * An (N, C, H, W) uint8 .npy file.
     *
     * @param file the .npy file to write
     * @throws IOException if the file cannot be written
     */
    public void writeNpy(Path file) throws IOException {
        ImageFiles.writeNpy(file, pixels, count, channels, height, width);
    }

    /**
     * A square-ish grid PNG with a 2-pixel gap.
     *
     * @param file the PNG file to write
     * @throws IOException if the file cannot be written
     */
    public void writeGrid(Path file) throws IOException {
        ImageFiles.writePng(file, ImageFiles.grid(pixels, count, channels, height, width, (int) Math.ceil(Math.sqrt(count)), 2));
    }

    /**
     * A PNG with one row of {@code perRow} samples per class, each row named: for samples drawn class by class.
     *
     * @param file the PNG file to write
     * @param perRow samples per row; it must divide the number of samples
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException for unlabelled samples, or a {@code perRow} that does not divide their number
     */
    public void writeClassGrid(Path file, int perRow) throws IOException {
        if (labels == null || perRow < 1 || count % perRow != 0) {
            throw new IllegalArgumentException("a class grid needs labelled samples in rows of " + perRow + "; got " + count + " samples");
        }
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < count / perRow; r++) {
            rows.add(labelName(r * perRow));
        }
        ImageFiles.writePng(file, ImageFiles.labelledGrid(pixels, rows, perRow, channels, height, width, 2));
    }

    /**
     * One file per sample in {@code dir}, named by number and class ({@code sample-00003-three}): a PNG for images;
     * for sound a WAV, its mel picture (4x) and {@code grid.png} of all the mel images.
     *
     * @param dir the directory to write to, created if missing
     * @throws IOException if a file cannot be written
     */
    public void writeFiles(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            String stem = stem(i);
            if (audio != null) {
                ImageFiles.writePng(dir.resolve(stem + ".png"), ImageFiles.scaled(image(i), 4));
                clip(i).writeWav(dir.resolve(stem + ".wav"));
            } else {
                ImageFiles.writePng(dir.resolve(stem + ".png"), image(i));
            }
        }
        if (audio != null) {
            writeGrid(dir.resolve("grid.png"));
        }
    }

    /**
     * Sample i's file name without extension: its number, and its class's name (sample-00003-three).
     *
     * @param i the sample's index
     * @return the file name without extension
     */
    public String stem(int i) {
        String number = String.format(Locale.ROOT, "sample-%05d", i);
        return labels == null ? number : number + "-" + labelName(i);
    }
}

package dev.diffusion4j.api;

import dev.diffusion4j.data.Wav;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One generated sound, with the mel-spectrogram image it was made from: {@code clip.writeWav(Path.of("three.wav"))}.
 *
 * @param pcm mono samples in [-1, 1]
 * @param sampleRate samples per second
 * @param mel the log-mel image the model drew (mel bands high, frames wide, low frequencies at the bottom)
 */
public record AudioClip(float[] pcm, int sampleRate, BufferedImage mel) {
    /**
     * Seconds of sound.
     *
     * @return the clip's length in seconds
     */
    public double seconds() {
        return pcm.length / (double) sampleRate;
    }

    /**
     * The clip as a WAV file, 16-bit mono PCM.
     *
     * @return the WAV file's bytes
     */
    public byte[] wavBytes() {
        return new Wav(pcm, sampleRate).bytes();
    }

    /**
     * Writes the clip as a 16-bit mono WAV file, atomically.
     *
     * @param file the WAV file to write
     * @throws IOException if the file cannot be written
     */
    public void writeWav(Path file) throws IOException {
        new Wav(pcm, sampleRate).write(file);
    }
}

package dev.diffusion4j.data;

import dev.diffusion4j.engine.Randomness;

/**
 * Log-mel spectrograms as 8-bit images and back: the mapping both ways (high frequencies in the top
 * row, [logLow, logHigh] onto the pixel range) and the way from a generated image back to sound.
 */
public final class MelImages {
    private MelImages() {}

    /** Writes ln mel power {@code [height·frames]} (row-major, {@link AudioConfig#height()}: mel bands or linear bins) into 8-bit pixels, high frequencies on top. */
    public static void toImage(float[] logMel, AudioConfig a, byte[] pixels, int offset) {
        int f = a.frames();
        for (int mIdx = 0; mIdx < a.height(); mIdx++) {
            int row = a.height() - 1 - mIdx;
            for (int t = 0; t < f; t++) {
                pixels[offset + row * f + t] = (byte) MelSpectrogram.toLevel(logMel[mIdx * f + t], a.logLow(), a.logHigh());
            }
        }
    }

    /** An image in [-1, 1] ({@code [nMels·frames]}, rows as {@link #toImage} lays them out) as ln mel power {@code [nMels][frames]}. */
    public static double[][] fromImage(float[] image, AudioConfig a) {
        int f = a.frames();
        double[][] out = new double[a.height()][f];
        for (int mIdx = 0; mIdx < a.height(); mIdx++) {
            int row = a.height() - 1 - mIdx;
            for (int t = 0; t < f; t++) {
                out[mIdx][t] = MelSpectrogram.fromUnit(image[row * f + t], a.logLow(), a.logHigh());
            }
        }
        return out;
    }

    /**
     * Sounds at {@code a.sampleRate()} analysed as the training data is: 8-bit log-mel images (with
     * {@code a}'s statistics), {@code nMels·frames} bytes each, in order.
     */
    public static byte[] analyse(float[][] waves, AudioConfig a, ai.djl.ndarray.NDManager m) {
        int per = a.pixels();
        byte[] out = new byte[waves.length * per];
        MelSpectrogram mel = new MelSpectrogram(a);
        for (int from = 0; from < waves.length; from += 256) {
            float[][] part = java.util.Arrays.copyOfRange(waves, from, Math.min(waves.length, from + 256));
            float[][] logMels = mel.logMels(m, part);
            for (int i = 0; i < logMels.length; i++) {
                toImage(logMels[i], a, out, (from + i) * per);
            }
        }
        return out;
    }

    /**
     * Generated log-mel images through the whole way back to sound and analysed again: what a listener
     * of the WAV files gets, as images. Image i's Griffin-Lim phases come from {@code phases.step(i)}.
     */
    public static byte[] throughSound(byte[] images, int count, AudioConfig a, Randomness phases, ai.djl.ndarray.NDManager m) {
        float[][] waves = new float[count][];
        for (int i = 0; i < count; i++) {
            waves[i] = soundOf(images, i, a, phases.step(i)).samples();
        }
        return analyse(waves, a, m);
    }

    /** Image {@code i} of 8-bit log-mel images back to ln mel power {@code [nMels][frames]}. */
    public static double[][] logMelOf(byte[] images, int i, AudioConfig a) {
        int per = a.pixels();
        float[] unit = new float[per];
        for (int k = 0; k < per; k++) {
            unit[k] = (images[i * per + k] & 0xff) / 127.5f - 1f;
        }
        return fromImage(unit, a);
    }

    /**
     * Image {@code i} of 8-bit log-mel images (as {@link AudioDatasets#load} makes and samplers return) back to
     * sound through {@link GriffinLim#toSound}.
     */
    public static Wav soundOf(byte[] images, int i, AudioConfig a, Randomness phases) {
        double[] x = new GriffinLim(a).toSound(logMelOf(images, i, a), phases);
        float[] f = new float[x.length];
        for (int k = 0; k < x.length; k++) {
            f[k] = (float) x[k];
        }
        return new Wav(f, a.sampleRate());
    }
}

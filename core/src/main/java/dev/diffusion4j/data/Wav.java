package dev.diffusion4j.data;

import dev.diffusion4j.io.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Mono sound in [-1, 1] at a sample rate: read from PCM WAV files (8, 16 or 24 bit, any number of
 * channels, mixed to mono) through {@code javax.sound.sampled}, and written as 16-bit PCM.
 *
 * @param samples the signal, nominally in [-1, 1]
 * @param sampleRate Hz
 */
public record Wav(float[] samples, int sampleRate) {
    /** Reads a WAV file. @throws DataException naming the file and the problem */
    public static Wav read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
        AudioFileFormat ff;
        try {
            ff = AudioSystem.getAudioFileFormat(new ByteArrayInputStream(bytes));
        } catch (UnsupportedAudioFileException | IOException e) {
            throw new DataException(file + ": not a WAV file that can be read (" + e.getMessage() + ")");
        }
        AudioFormat f = ff.getFormat();
        boolean signed = f.getEncoding() == AudioFormat.Encoding.PCM_SIGNED;
        boolean unsigned = f.getEncoding() == AudioFormat.Encoding.PCM_UNSIGNED;
        int bits = f.getSampleSizeInBits();
        if (!(signed || unsigned) || (bits != 8 && bits != 16 && bits != 24)) {
            throw new DataException(file + ": unsupported encoding " + f.getEncoding() + " " + bits
                    + "-bit (expected PCM, 8, 16 or 24 bit)");
        }
        int channels = f.getChannels();
        int frameSize = f.getFrameSize();
        if (channels < 1 || frameSize != channels * bits / 8) {
            throw new DataException(file + ": inconsistent header (" + channels + " channels, " + frameSize + "-byte frames)");
        }
        float rate = f.getSampleRate();
        if (!(rate >= 1 && rate <= 1_000_000) || rate != Math.rint(rate)) {
            throw new DataException(file + ": unsupported sample rate " + rate);
        }
        byte[] pcm;
        long declared = ff.getFrameLength();
        try (InputStream in = AudioSystem.getAudioInputStream(new ByteArrayInputStream(bytes))) {
            pcm = in.readAllBytes();
        } catch (UnsupportedAudioFileException | IOException e) {
            throw new DataException(file + ": cannot decode (" + e.getMessage() + ")");
        }
        long frames = pcm.length / frameSize;
        if (declared != AudioSystem.NOT_SPECIFIED && frames < declared) {
            throw new DataException(file + ": truncated: the header declares " + declared + " frames, the file holds " + frames);
        }
        if (frames == 0) {
            throw new DataException(file + ": no audio frames");
        }
        float[] out = new float[Math.toIntExact(frames)];
        int bytesPer = bits / 8;
        boolean big = f.isBigEndian();
        double scale = 1.0 / (1L << (bits - 1));
        for (int i = 0; i < out.length; i++) {
            double sum = 0;
            for (int c = 0; c < channels; c++) {
                int off = i * frameSize + c * bytesPer;
                int v = 0;
                for (int b = 0; b < bytesPer; b++) {
                    int byteVal = pcm[off + (big ? b : bytesPer - 1 - b)] & 0xff;
                    v = (v << 8) | byteVal;
                }
                if (unsigned) {
                    v -= 1 << (bits - 1);
                } else {
                    v = (v << (32 - bits)) >> (32 - bits);
                }
                sum += v * scale;
            }
            out[i] = (float) (sum / channels);
        }
        return new Wav(out, (int) rate);
    }

    /** Writes 16-bit mono PCM, clipping to [-1, 1], atomically. */
    public void write(Path file) throws IOException {
        byte[] bytes = bytes();
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** The WAV file, 16-bit mono PCM, clipped to [-1, 1]. */
    public byte[] bytes() {
        byte[] pcm = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            float s = Math.max(-1f, Math.min(1f, samples[i]));
            int v = Math.round(s * 32767f);
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        AudioFormat f = new AudioFormat(sampleRate, 16, 1, true, false);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(pcm.length + 64);
        try (AudioInputStream ais = new AudioInputStream(new ByteArrayInputStream(pcm), f, samples.length)) {
            AudioSystem.write(ais, AudioFileFormat.Type.WAVE, out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("encoding a WAV in memory", e);
        }
        return out.toByteArray();
    }

    /** Seconds of sound. */
    public double seconds() {
        return samples.length / (double) sampleRate;
    }

    /**
     * This sound at another rate: band-limited interpolation with a Hann-windowed sinc kernel whose
     * cut-off is the lower of the two Nyquist frequencies.
     */
    public Wav resample(int rate) {
        if (rate == sampleRate) {
            return this;
        }
        double ratio = (double) rate / sampleRate;
        int n = (int) Math.max(1, Math.round(samples.length * ratio));
        double cutoff = Math.min(1.0, ratio); // as a fraction of the input Nyquist frequency
        int half = (int) Math.ceil(16 / cutoff); // kernel half-width in input samples
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double pos = i / ratio;
            int center = (int) Math.floor(pos);
            double acc = 0;
            for (int k = center - half + 1; k <= center + half; k++) {
                if (k < 0 || k >= samples.length) {
                    continue;
                }
                double d = pos - k;
                double w = 0.5 + 0.5 * Math.cos(Math.PI * d / half);
                acc += samples[k] * cutoff * sinc(cutoff * d) * w;
            }
            out[i] = (float) acc;
        }
        return new Wav(out, rate);
    }

    private static double sinc(double x) {
        if (Math.abs(x) < 1e-12) {
            return 1;
        }
        return Math.sin(Math.PI * x) / (Math.PI * x);
    }
}

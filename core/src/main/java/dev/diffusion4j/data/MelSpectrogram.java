package dev.diffusion4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Ops;

/**
 * Log-mel spectrograms on tensors: a centred STFT with a Hann window (reflect-padded as in
 * torch.stft), power |X|², the Slaney mel filterbank, the natural log of the power clipped below at
 * {@code logFloor}, and the map of [logLow, logHigh] onto [-1, 1].
 */
public final class MelSpectrogram {
    private final AudioConfig audio;

    public MelSpectrogram(AudioConfig audio) {
        this.audio = audio;
    }

    /** The Hann window (periodic, as librosa and torch use), zero-padded to nFft and centred. */
    public static double[] window(AudioConfig a) {
        double[] w = new double[a.nFft()];
        int off = (a.nFft() - a.window()) / 2;
        for (int n = 0; n < a.window(); n++) {
            w[off + n] = 0.5 - 0.5 * Math.cos(2 * Math.PI * n / a.window());
        }
        return w;
    }

    /**
     * Power spectrogram |STFT(x)|² of a batch of clips (B, L), as (B, nFft/2 + 1, 1 + L / hop), in
     * the manager of {@code waves}.
     */
    public NDArray power(NDArray waves) {
        NDManager m = waves.getManager();
        NDArray w = Ops.constant(m, window(audio), new Shape(audio.nFft()));
        NDArray spec = waves.stft(audio.nFft(), audio.hop(), true, w, false, true).real();
        return spec.square().sum(new int[] {-1});
    }

    /**
     * Mel power (B, nMels, frames) from power (B, bins, frames); for a {@link AudioConfig.Frequency#LINEAR} image the
     * power of bins 0 .. nFft/2 − 1 itself (B, nFft/2, frames), the Nyquist bin left out.
     */
    public NDArray mel(NDArray power) {
        if (audio.frequency() == AudioConfig.Frequency.LINEAR) {
            return power.get(new NDIndex(":, 0:{}, :", audio.height()));
        }
        double[][] fb = MelFilterbank.of(audio);
        double[] flat = new double[fb.length * fb[0].length];
        for (int i = 0; i < fb.length; i++) {
            System.arraycopy(fb[i], 0, flat, i * fb[0].length, fb[0].length);
        }
        NDArray f = Ops.constant(power.getManager(), flat, new Shape(fb.length, fb[0].length));
        return f.matMul(power);
    }

    /** ln(max(mel, logFloor)). */
    public NDArray logMel(NDArray waves) {
        NDArray mel = mel(power(waves));
        return Ops.maximum(mel, audio.logFloor()).log();
    }

    /**
     * The clips as log-mel images (B, nMels, frames): each wave is cut or zero-padded to {@link
     * AudioConfig#clipSamples()} first.
     */
    public float[][] logMels(NDManager m, float[][] waves) {
        int len = audio.clipSamples();
        float[] flat = new float[waves.length * len];
        for (int i = 0; i < waves.length; i++) {
            System.arraycopy(waves[i], 0, flat, i * len, Math.min(len, waves[i].length));
        }
        try (NDManager s = m.newSubManager()) {
            NDArray x = Ops.constant(s, flat, new Shape(waves.length, len));
            NDArray lm = logMel(x).get(new NDIndex(":, :, 0:{}", audio.frames()));
            float[] all = lm.toFloatArray();
            int per = audio.pixels();
            float[][] out = new float[waves.length][];
            for (int i = 0; i < waves.length; i++) {
                out[i] = java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per);
            }
            return out;
        }
    }

    /** A log-mel value as an 8-bit level: [logLow, logHigh] → [0, 255], clipped. */
    public static int toLevel(double logMel, double logLow, double logHigh) {
        double v = (logMel - logLow) / (logHigh - logLow) * 255.0;
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** The inverse of {@link #toLevel} for a value in [-1, 1] (a sample): back to ln mel power. */
    public static double fromUnit(double x, double logLow, double logHigh) {
        double u = (Math.max(-1, Math.min(1, x)) + 1) / 2;
        return logLow + u * (logHigh - logLow);
    }
}

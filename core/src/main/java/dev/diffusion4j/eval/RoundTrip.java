package dev.diffusion4j.eval;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.GriffinLim;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.MelSpectrogram;
import dev.diffusion4j.engine.Randomness;

/**
 * What the audio representation loses, one stage at a time, for one clip: the clip's STFT magnitude
 * against (1) the magnitude that the 8-bit log-mel image gives back by NNLS (the mel → linear stage),
 * (2) the magnitude of Griffin-Lim's signal from the <em>true</em> magnitude (the phase stage alone),
 * and (3) the magnitude of Griffin-Lim's signal from the image's magnitude (the whole way back, what a
 * generated image goes through). Each as spectral convergence ‖|S| − |Ŝ|‖/‖|S|‖ and log-spectral
 * distance in dB.
 */
public final class RoundTrip {
    private RoundTrip() {}

    /** The three stages' figures, and the sound of the whole way back. */
    public record Result(double scMel, double lsdMel, double scPhase, double lsdPhase, double scFull, double lsdFull, float[] rebuilt) {}

    /**
     * Measures one clip under {@code a} (with its log-mel statistics).
     *
     * @param wave the clip at {@code a.sampleRate()}; cut or zero-padded to {@link AudioConfig#clipSamples()}
     * @param logMel the clip's log-mel under {@code a}'s analysis settings ({@link MelSpectrogram#logMels}), which
     *     every caller has computed already for its own use
     */
    public static Result measure(float[] wave, float[] logMel, AudioConfig a, Randomness phases) {
        int len = a.clipSamples();
        double[] x = new double[len];
        for (int i = 0; i < Math.min(len, wave.length); i++) {
            x[i] = wave[i];
        }
        GriffinLim gl = new GriffinLim(a);
        double[][] mag = GriffinLim.magnitude(gl.stft(x));
        byte[] px = new byte[a.pixels()];
        MelImages.toImage(logMel, a, px, 0);
        double[][] fromImage = gl.toMagnitude(MelImages.logMelOf(px, 0, a));
        double[] phaseOnly = gl.reconstruct(mag, len, a.griffinLimIters(), phases);
        double[] full = gl.reconstruct(fromImage, len, a.griffinLimIters(), phases);
        double[][] phaseMag = GriffinLim.magnitude(gl.stft(phaseOnly));
        double[][] fullMag = GriffinLim.magnitude(gl.stft(full));
        float[] rebuilt = new float[len];
        for (int i = 0; i < len; i++) {
            rebuilt[i] = (float) full[i];
        }
        return new Result(GriffinLim.spectralConvergence(mag, fromImage), GriffinLim.logSpectralDistance(mag, fromImage),
                GriffinLim.spectralConvergence(mag, phaseMag), GriffinLim.logSpectralDistance(mag, phaseMag),
                GriffinLim.spectralConvergence(mag, fullMag), GriffinLim.logSpectralDistance(mag, fullMag), rebuilt);
    }
}

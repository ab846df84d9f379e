package dev.diffusion4j.data;

/**
 * How sound becomes a log-mel image and back. The two statistics are measured on the training
 * set the first time a run reads it, then stored with the run's configuration (and so in every
 * checkpoint), so that samples are mapped back to decibels exactly as the training data was mapped.
 *
 * @param sampleRate Hz; WAVs at another rate are resampled
 * @param nFft FFT length of the STFT
 * @param hop samples between frames
 * @param window Hann window length (≤ nFft, centred in the FFT frame)
 * @param nMels mel bands: the image height
 * @param fMin lowest mel frequency, Hz
 * @param fMax highest mel frequency, Hz (≤ sampleRate / 2)
 * @param frames frames per clip: the image width; longer clips are cut, shorter ones padded with silence
 * @param logFloor mel power below this is clipped before the logarithm
 * @param griffinLimIters Griffin-Lim iterations on the way back to sound
 * @param logLow natural log of the mel power that maps to -1 (null until measured)
 * @param logHigh natural log of the mel power that maps to +1 (null until measured)
 * @param phaseInit where Griffin-Lim starts: random phases, or each bin's phase advancing at its own
 *     frequency from frame to frame
 * @param melIters iterations of the non-negative least squares that takes mel power back to linear
 */
public record AudioConfig(int sampleRate, int nFft, int hop, int window, int nMels, double fMin, double fMax, int frames,
        double logFloor, int griffinLimIters, Double logLow, Double logHigh, PhaseInit phaseInit, int melIters) {

    /** Griffin-Lim's starting phases. */
    public enum PhaseInit {
        /** Uniform random phases (from the run's generator). */
        RANDOM,
        /** φ(t, k) = 2π k · hop · t / nFft: every bin a sinusoid at its centre frequency, coherent across frames. */
        ADVANCE
    }

    /** Settings with random starting phases and 200 NNLS iterations, as before those were settings. */
    public AudioConfig(int sampleRate, int nFft, int hop, int window, int nMels, double fMin, double fMax, int frames,
            double logFloor, int griffinLimIters, Double logLow, Double logHigh) {
        this(sampleRate, nFft, hop, window, nMels, fMin, fMax, frames, logFloor, griffinLimIters, logLow, logHigh, PhaseInit.RANDOM, 200);
    }

    public AudioConfig {
        require(sampleRate >= 1000 && sampleRate <= 384_000, "audio.sampleRate must be in [1000, 384000], got " + sampleRate);
        require(nFft >= 16 && Integer.bitCount(nFft) == 1, "audio.nFft must be a power of two ≥ 16, got " + nFft);
        require(window >= 2 && window <= nFft, "audio.window must be in [2, nFft], got " + window);
        require(hop >= 1 && hop <= window, "audio.hop must be in [1, window], got " + hop);
        require(nMels >= 2 && nMels <= nFft / 2, "audio.nMels must be in [2, nFft/2], got " + nMels);
        require(fMin >= 0 && fMax > fMin && fMax <= sampleRate / 2.0,
                "audio.fMin and audio.fMax must satisfy 0 ≤ fMin < fMax ≤ sampleRate/2, got " + fMin + ", " + fMax);
        require(frames >= 1, "audio.frames must be at least 1, got " + frames);
        require(logFloor > 0 && Double.isFinite(logFloor), "audio.logFloor must be positive, got " + logFloor);
        require(griffinLimIters >= 0, "audio.griffinLimIters must be ≥ 0, got " + griffinLimIters);
        require(melIters >= 1, "audio.melIters must be at least 1, got " + melIters);
        if (phaseInit == null) {
            phaseInit = PhaseInit.RANDOM;
        }
        require((logLow == null) == (logHigh == null), "audio.logLow and audio.logHigh are set together");
        require(logLow == null || (Double.isFinite(logLow) && Double.isFinite(logHigh) && logHigh > logLow),
                "audio.logLow must be below audio.logHigh, got " + logLow + ", " + logHigh);
    }

    /**
     * Spoken digits at 8 kHz as 64x64 images: 64 mel bands up to 4 kHz, 64 frames 16 ms apart (1.02 s), a 32 ms Hann
     * window in a 512-point FFT. The representation of {@code configs/fsdd.yaml}: its round trip keeps the most of the
     * representations measured (spectral convergence 0.187 on the 300 FSDD test clips, against 0.578 for 32 bands x
     * 32 frames at hop 256 and 0.262 for a 512-sample window; docs/RESULTS.md).
     */
    public static AudioConfig defaults() {
        return new AudioConfig(8000, 512, 128, 256, 64, 0, 4000, 64, 1e-5, 64, null, null);
    }

    /** Whether the normalisation statistics have been measured. */
    public boolean hasStats() {
        return logLow != null;
    }

    /** This configuration with the given normalisation statistics. */
    public AudioConfig withStats(double low, double high) {
        return new AudioConfig(sampleRate, nFft, hop, window, nMels, fMin, fMax, frames, logFloor, griffinLimIters, low, high, phaseInit,
                melIters);
    }

    /** Number of STFT frequency bins, nFft / 2 + 1. */
    public int bins() {
        return nFft / 2 + 1;
    }

    /** Samples in one clip of {@link #frames} frames (the STFT is centred, frame k at k·hop). */
    public int clipSamples() {
        return (frames - 1) * hop;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}

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
 * @param nMels mel bands: the image height of a {@link Frequency#MEL} image (unused by a {@link Frequency#LINEAR} one)
 * @param fMin lowest mel frequency, Hz (mel images only)
 * @param fMax highest mel frequency, Hz (≤ sampleRate / 2; mel images only)
 * @param frames frames per clip: the image width; longer clips are cut, shorter ones padded with silence
 * @param logFloor mel power below this is clipped before the logarithm
 * @param griffinLimIters Griffin-Lim iterations on the way back to sound
 * @param logLow natural log of the mel power that maps to -1 (null until measured)
 * @param logHigh natural log of the mel power that maps to +1 (null until measured)
 * @param phaseInit where Griffin-Lim starts: random phases, or each bin's phase advancing at its own
 *     frequency from frame to frame
 * @param melIters iterations of the non-negative least squares that takes mel power back to linear
 * @param frequency the image's rows: mel bands, or the STFT's own bins (null: mel, as before this was a setting)
 * @param griffinLimMomentum α of the fast Griffin-Lim algorithm, in [0, 1); 0 is plain Griffin-Lim (null: 0.99, as before
 *     this was a setting)
 */
public record AudioConfig(int sampleRate, int nFft, int hop, int window, int nMels, double fMin, double fMax, int frames,
        double logFloor, int griffinLimIters, Double logLow, Double logHigh, PhaseInit phaseInit, int melIters, Frequency frequency,
        Double griffinLimMomentum) {

    /** What the image's rows are. */
    public enum Frequency {
        /** {@code nMels} Slaney mel bands from fMin to fMax; the way back to linear power is a non-negative least squares. */
        MEL,
        /**
         * The STFT's bins 0 .. nFft/2 − 1 themselves (the log power of each, {@link GriffinLim#linearImageToMagnitude}):
         * {@code nFft / 2} rows, nothing to invert but the logarithm; the Nyquist bin is left out and comes back as zero.
         */
        LINEAR
    }

    /** Griffin-Lim's starting phases. */
    public enum PhaseInit {
        /** Uniform random phases (from the run's generator). */
        RANDOM,
        /** φ(t, k) = 2π k · hop · t / nFft: every bin a sinusoid at its centre frequency, coherent across frames. */
        ADVANCE,
        /**
         * Phases integrated from the magnitude's own gradients ({@link GriffinLim#pghiPhases}, Průša, Balazs and
         * Søndergaard 2017); with {@code griffinLimIters: 0} that is the whole phase recovery, without iterations.
         */
        PGHI
    }

    /** Settings with random starting phases and 200 NNLS iterations, as before those were settings. */
    public AudioConfig(int sampleRate, int nFft, int hop, int window, int nMels, double fMin, double fMax, int frames,
            double logFloor, int griffinLimIters, Double logLow, Double logHigh) {
        this(sampleRate, nFft, hop, window, nMels, fMin, fMax, frames, logFloor, griffinLimIters, logLow, logHigh, PhaseInit.RANDOM, 200);
    }

    /** Mel images with fast Griffin-Lim at α = 0.99, as before those were settings. */
    public AudioConfig(int sampleRate, int nFft, int hop, int window, int nMels, double fMin, double fMax, int frames,
            double logFloor, int griffinLimIters, Double logLow, Double logHigh, PhaseInit phaseInit, int melIters) {
        this(sampleRate, nFft, hop, window, nMels, fMin, fMax, frames, logFloor, griffinLimIters, logLow, logHigh, phaseInit, melIters,
                Frequency.MEL, DEFAULT_MOMENTUM);
    }

    /** The fast Griffin-Lim momentum of Perraudin et al. (2013) that librosa also uses. */
    public static final double DEFAULT_MOMENTUM = 0.99;

    public AudioConfig {
        require(sampleRate >= 1000 && sampleRate <= 384_000, "audio.sampleRate must be in [1000, 384000], got " + sampleRate);
        require(nFft >= 16 && Integer.bitCount(nFft) == 1, "audio.nFft must be a power of two ≥ 16, got " + nFft);
        require(window >= 2 && window <= nFft, "audio.window must be in [2, nFft], got " + window);
        require(hop >= 1 && hop <= window, "audio.hop must be in [1, window], got " + hop);
        if (frequency == null) {
            frequency = Frequency.MEL;
        }
        if (griffinLimMomentum == null) {
            griffinLimMomentum = DEFAULT_MOMENTUM;
        }
        require(griffinLimMomentum >= 0 && griffinLimMomentum < 1, "audio.griffinLimMomentum must be in [0, 1), got " + griffinLimMomentum);
        require(frequency == Frequency.LINEAR || (nMels >= 2 && nMels <= nFft / 2), "audio.nMels must be in [2, nFft/2], got " + nMels);
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
     * Spoken digits at 8 kHz as 128x64 linear-frequency images: the log power of the STFT's bins 0..127 (0 to 3,969 Hz)
     * of a 256-point FFT with a 256-sample (32 ms) Hann window, 64 frames 16 ms apart (1.008 s), back to sound by fast
     * Griffin-Lim (64 iterations, α 0.99, random starting phases). The representation of {@code configs/fsdd.yaml}: of
     * those measured, its round trip keeps the most of what a speech recogniser hears (docs/AUDIO.md: PocketSphinx names
     * the right digit for 0.783 of the 300 FSDD test clips after it, 0.763 for the recordings, 0.753 after 64 mel bands).
     */
    public static AudioConfig defaults() {
        return new AudioConfig(8000, 256, 128, 256, 64, 0, 4000, 64, 1e-5, 64, null, null, PhaseInit.RANDOM, 200, Frequency.LINEAR,
                DEFAULT_MOMENTUM);
    }

    /** Whether the normalisation statistics have been measured. */
    public boolean hasStats() {
        return logLow != null;
    }

    /** This configuration with the given normalisation statistics. */
    public AudioConfig withStats(double low, double high) {
        return new AudioConfig(sampleRate, nFft, hop, window, nMels, fMin, fMax, frames, logFloor, griffinLimIters, low, high, phaseInit,
                melIters, frequency, griffinLimMomentum);
    }

    /** This configuration with other phase recovery: Griffin-Lim iterations, starting phases and momentum. */
    public AudioConfig withPhaseRecovery(int iterations, PhaseInit init, double momentum) {
        return new AudioConfig(sampleRate, nFft, hop, window, nMels, fMin, fMax, frames, logFloor, iterations, logLow, logHigh, init,
                melIters, frequency, momentum);
    }

    /** The image height: {@code nMels} mel bands, or {@code nFft / 2} linear bins (the Nyquist bin left out). */
    public int height() {
        return frequency == Frequency.LINEAR ? nFft / 2 : nMels;
    }

    /** Pixels in one image, {@link #height()} · {@link #frames()}. */
    public int pixels() {
        return height() * frames;
    }

    /** What the image's rows are, in words: "64 mel bands" or "128 linear bins". */
    public String rows() {
        return frequency == Frequency.LINEAR ? height() + " linear bins" : nMels + " mel bands";
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

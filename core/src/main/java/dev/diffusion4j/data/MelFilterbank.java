package dev.diffusion4j.data;

/**
 * The Slaney mel scale and filterbank (librosa's default: {@code htk=False, norm='slaney'}): the
 * scale is linear below 1 kHz (3 mels per 200 Hz) and logarithmic above; each filter is a triangle
 * over STFT bins between the neighbouring mel points, scaled so that its area in Hz is 1.
 */
public final class MelFilterbank {
    private static final double F_SP = 200.0 / 3;
    private static final double MIN_LOG_HZ = 1000.0;
    private static final double MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
    private static final double LOG_STEP = Math.log(6.4) / 27.0;

    private MelFilterbank() {}

    /** Hz to Slaney mels. */
    public static double hzToMel(double hz) {
        return hz < MIN_LOG_HZ ? hz / F_SP : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
    }

    /** Slaney mels to Hz. */
    public static double melToHz(double mel) {
        return mel < MIN_LOG_MEL ? mel * F_SP : MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
    }

    /** The n + 2 band edges in Hz: equally spaced in mels from fMin to fMax. */
    public static double[] edges(int nMels, double fMin, double fMax) {
        double lo = hzToMel(fMin);
        double hi = hzToMel(fMax);
        double[] hz = new double[nMels + 2];
        for (int i = 0; i < hz.length; i++) {
            hz[i] = melToHz(lo + (hi - lo) * i / (nMels + 1));
        }
        return hz;
    }

    /**
     * The filterbank, {@code [nMels][nFft/2 + 1]}: filter m rises linearly from edge m to edge m+1
     * and falls to edge m+2, with height 2 / (edge[m+2] - edge[m]).
     */
    public static double[][] slaney(int sampleRate, int nFft, int nMels, double fMin, double fMax) {
        double[] hz = edges(nMels, fMin, fMax);
        int bins = nFft / 2 + 1;
        double[][] w = new double[nMels][bins];
        for (int m = 0; m < nMels; m++) {
            double lower = hz[m];
            double center = hz[m + 1];
            double upper = hz[m + 2];
            double norm = 2.0 / (upper - lower);
            for (int k = 0; k < bins; k++) {
                double f = (double) k * sampleRate / nFft;
                double rise = (f - lower) / (center - lower);
                double fall = (upper - f) / (upper - center);
                w[m][k] = Math.max(0, Math.min(rise, fall)) * norm;
            }
        }
        return w;
    }

    /** The filterbank of an audio configuration. */
    public static double[][] of(AudioConfig a) {
        return slaney(a.sampleRate(), a.nFft(), a.nMels(), a.fMin(), a.fMax());
    }
}

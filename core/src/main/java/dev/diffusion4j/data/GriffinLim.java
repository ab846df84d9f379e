package dev.diffusion4j.data;

import dev.diffusion4j.engine.Randomness;
import java.util.SplittableRandom;
import org.jtransforms.fft.DoubleFFT_1D;

/**
 * The way back from a mel-spectrogram to sound, in plain double precision: mel power to linear
 * power by non-negative least squares, then Griffin-Lim phase recovery (with the momentum of Perraudin
 * et al., as librosa does) between a centred STFT and its least-squares inverse. Spectra are
 * {@code [frames][bins]} magnitudes or {@code [frames][2·bins]} interleaved complex values.
 */
public final class GriffinLim {
    private static final double MOMENTUM = 0.99;

    private final AudioConfig a;
    private final double[] window;
    private final DoubleFFT_1D fft;

    public GriffinLim(AudioConfig audio) {
        this.a = audio;
        this.window = MelSpectrogram.window(audio);
        this.fft = new DoubleFFT_1D(audio.nFft());
    }

    /** Frames of a centred STFT of {@code length} samples. */
    public int frames(int length) {
        return 1 + length / a.hop();
    }

    /** The centred STFT (reflect padding of nFft/2 each side): {@code [frames][2·bins]} (re, im). */
    public double[][] stft(double[] x) {
        int n = a.nFft();
        int pad = n / 2;
        int bins = a.bins();
        double[][] out = new double[frames(x.length)][2 * bins];
        double[] buf = new double[n];
        for (int t = 0; t < out.length; t++) {
            for (int i = 0; i < n; i++) {
                buf[i] = reflect(x, t * a.hop() + i - pad) * window[i];
            }
            fft.realForward(buf);
            double[] f = out[t];
            f[0] = buf[0];
            f[2 * (bins - 1)] = buf[1];
            for (int k = 1; k < bins - 1; k++) {
                f[2 * k] = buf[2 * k];
                f[2 * k + 1] = buf[2 * k + 1];
            }
        }
        return out;
    }

    private static double reflect(double[] x, int i) {
        if (x.length == 1) {
            return x[0];
        }
        int period = 2 * (x.length - 1);
        int j = Math.floorMod(i, period);
        return j < x.length ? x[j] : x[period - j];
    }

    /**
     * The least-squares inverse of {@link #stft} (windowed overlap-add divided by the summed squared
     * window), {@code length} samples long.
     */
    public double[] istft(double[][] spec, int length) {
        int n = a.nFft();
        int pad = n / 2;
        int bins = a.bins();
        int total = (spec.length - 1) * a.hop() + n;
        double[] acc = new double[total];
        double[] norm = new double[total];
        double[] buf = new double[n];
        for (int t = 0; t < spec.length; t++) {
            double[] f = spec[t];
            buf[0] = f[0];
            buf[1] = f[2 * (bins - 1)];
            for (int k = 1; k < bins - 1; k++) {
                buf[2 * k] = f[2 * k];
                buf[2 * k + 1] = f[2 * k + 1];
            }
            fft.realInverse(buf, true);
            for (int i = 0; i < n; i++) {
                acc[t * a.hop() + i] += buf[i] * window[i];
                norm[t * a.hop() + i] += window[i] * window[i];
            }
        }
        double[] y = new double[length];
        for (int i = 0; i < length && i + pad < total; i++) {
            double d = norm[i + pad];
            y[i] = d > 1e-10 ? acc[i + pad] / d : 0;
        }
        return y;
    }

    /** |X| of a complex spectrum, {@code [frames][bins]}. */
    public static double[][] magnitude(double[][] spec) {
        double[][] m = new double[spec.length][spec[0].length / 2];
        for (int t = 0; t < spec.length; t++) {
            for (int k = 0; k < m[t].length; k++) {
                m[t][k] = Math.hypot(spec[t][2 * k], spec[t][2 * k + 1]);
            }
        }
        return m;
    }

    /**
     * Linear power {@code [frames][bins]} ≥ 0 whose mel projection best matches {@code melPower}
     * ({@code [frames][nMels]}) in least squares: Lee and Seung's multiplicative updates, which keep
     * every value non-negative, started from the filterbank's transpose applied to the mel power.
     */
    public double[][] melToPower(double[][] melPower, int iterations) {
        double[][] fb = MelFilterbank.of(a);
        int mels = fb.length;
        int bins = a.bins();
        double[][] gram = new double[bins][bins];
        for (int m = 0; m < mels; m++) {
            for (int i = 0; i < bins; i++) {
                if (fb[m][i] == 0) {
                    continue;
                }
                for (int j = 0; j < bins; j++) {
                    gram[i][j] += fb[m][i] * fb[m][j];
                }
            }
        }
        double[][] out = new double[melPower.length][bins];
        double[] ftm = new double[bins];
        double[] p = new double[bins];
        double[] gp = new double[bins];
        for (int t = 0; t < melPower.length; t++) {
            java.util.Arrays.fill(ftm, 0);
            for (int m = 0; m < mels; m++) {
                double v = Math.max(0, melPower[t][m]);
                for (int k = 0; k < bins; k++) {
                    ftm[k] += fb[m][k] * v;
                }
            }
            System.arraycopy(ftm, 0, p, 0, bins);
            for (int it = 0; it < iterations; it++) {
                for (int i = 0; i < bins; i++) {
                    double s = 0;
                    double[] row = gram[i];
                    for (int j = 0; j < bins; j++) {
                        s += row[j] * p[j];
                    }
                    gp[i] = s;
                }
                for (int i = 0; i < bins; i++) {
                    p[i] = gp[i] > 0 ? p[i] * ftm[i] / gp[i] : 0;
                }
            }
            System.arraycopy(p, 0, out[t], 0, bins);
        }
        return out;
    }

    /**
     * Griffin-Lim: a signal of {@code length} samples whose STFT magnitude approaches {@code mag}
     * ({@code [frames][bins]}), from the configured starting phases ({@link AudioConfig#phaseInit()};
     * random ones drawn from {@code phases}).
     */
    public double[] reconstruct(double[][] mag, int length, int iterations, Randomness phases) {
        int bins = a.bins();
        double[][] angles = startingPhases(mag.length, phases);
        double[][] previous = new double[mag.length][2 * bins];
        double c = MOMENTUM / (1 + MOMENTUM);
        for (int it = 0; it < iterations; it++) {
            double[][] rebuilt = stft(istft(apply(mag, angles), length));
            for (int t = 0; t < mag.length; t++) {
                for (int k = 0; k < bins; k++) {
                    double re = rebuilt[t][2 * k] - c * previous[t][2 * k];
                    double im = rebuilt[t][2 * k + 1] - c * previous[t][2 * k + 1];
                    double r = Math.hypot(re, im) + 1e-16;
                    angles[t][2 * k] = re / r;
                    angles[t][2 * k + 1] = im / r;
                }
            }
            previous = rebuilt;
        }
        return istft(apply(mag, angles), length);
    }

    /** Unit phasors {@code [frames][2·bins]} to start from. */
    double[][] startingPhases(int frames, Randomness phases) {
        int bins = a.bins();
        SplittableRandom rng = phases.stream();
        double[][] angles = new double[frames][2 * bins];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < bins; k++) {
                double phi = a.phaseInit() == AudioConfig.PhaseInit.ADVANCE
                        ? 2 * Math.PI * k * (double) a.hop() * t / a.nFft()
                        : 2 * Math.PI * rng.nextDouble();
                angles[t][2 * k] = Math.cos(phi);
                angles[t][2 * k + 1] = Math.sin(phi);
            }
        }
        return angles;
    }

    private static double[][] apply(double[][] mag, double[][] unit) {
        double[][] out = new double[mag.length][unit[0].length];
        for (int t = 0; t < mag.length; t++) {
            for (int k = 0; k < mag[t].length; k++) {
                out[t][2 * k] = mag[t][k] * unit[t][2 * k];
                out[t][2 * k + 1] = mag[t][k] * unit[t][2 * k + 1];
            }
        }
        return out;
    }

    /** ‖|S| − |Ŝ|‖_F / ‖|S|‖_F over the frames both have. */
    public static double spectralConvergence(double[][] reference, double[][] estimate) {
        double num = 0;
        double den = 0;
        for (int t = 0; t < Math.min(reference.length, estimate.length); t++) {
            for (int k = 0; k < reference[t].length; k++) {
                double d = reference[t][k] - estimate[t][k];
                num += d * d;
                den += reference[t][k] * reference[t][k];
            }
        }
        return Math.sqrt(num / den);
    }

    /**
     * A log-mel image back to sound: ln mel power {@code [nMels][frames]} → mel power → linear
     * power (NNLS) → magnitude ({@link #melToMagnitude}) → Griffin-Lim → {@link
     * AudioConfig#clipSamples()} samples.
     */
    public double[] toSound(double[][] logMel, Randomness phases) {
        return reconstruct(melToMagnitude(logMel), a.clipSamples(), a.griffinLimIters(), phases);
    }

    /** The first stage of {@link #toSound}: ln mel power {@code [nMels][frames]} to an STFT magnitude {@code [frames][bins]}. */
    public double[][] melToMagnitude(double[][] logMel) {
        int frames = logMel[0].length;
        double[][] melPower = new double[frames][logMel.length];
        for (int m = 0; m < logMel.length; m++) {
            for (int t = 0; t < frames; t++) {
                melPower[t][m] = Math.exp(logMel[m][t]);
            }
        }
        double[][] power = melToPower(melPower, a.melIters());
        double[][] mag = new double[frames][];
        for (int t = 0; t < frames; t++) {
            mag[t] = new double[power[t].length];
            for (int k = 0; k < power[t].length; k++) {
                mag[t][k] = Math.sqrt(power[t][k]);
            }
        }
        return mag;
    }

    /**
     * The log-spectral distance in dB between two magnitudes {@code [frames][bins]}: per frame, the
     * root mean square over bins of 10·log10 of the power ratio, averaged over the frames both have.
     * Powers are floored 60 dB below the reference's peak, so that silence does not dominate.
     */
    public static double logSpectralDistance(double[][] reference, double[][] estimate) {
        int frames = Math.min(reference.length, estimate.length);
        double peak = 0;
        for (double[] row : reference) {
            for (double v : row) {
                peak = Math.max(peak, v * v);
            }
        }
        double floor = Math.max(peak * 1e-6, 1e-20);
        double total = 0;
        for (int t = 0; t < frames; t++) {
            double s = 0;
            for (int k = 0; k < reference[t].length; k++) {
                double d = 10 * Math.log10(Math.max(reference[t][k] * reference[t][k], floor) / Math.max(estimate[t][k] * estimate[t][k], floor));
                s += d * d;
            }
            total += Math.sqrt(s / reference[t].length);
        }
        return total / frames;
    }
}

package dev.diffusion4j.data;

import dev.diffusion4j.engine.Randomness;
import java.util.SplittableRandom;
import org.jtransforms.fft.DoubleFFT_1D;

/**
 * The way back from a log-power image to sound, in plain double precision: mel power to linear
 * power by non-negative least squares (or a linear-frequency image's power as it is), then Griffin-Lim phase
 * recovery ({@link #fastGriffinLim}) between a centred STFT and its least-squares inverse. Spectra are
 * {@code [frames][bins]} magnitudes or {@code [frames][2·bins]} interleaved complex values.
 */
public final class GriffinLim {
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
        // the filters overlap only their neighbours, so each row of the Gram matrix is zero outside one band of bins
        int[] lo = new int[bins];
        int[] hi = new int[bins];
        for (int i = 0; i < bins; i++) {
            lo[i] = bins;
            for (int j = 0; j < bins; j++) {
                if (gram[i][j] != 0) {
                    lo[i] = Math.min(lo[i], j);
                    hi[i] = j + 1;
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
                    for (int j = lo[i]; j < hi[i]; j++) {
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
     * random ones drawn from {@code phases}) with the configured momentum ({@link AudioConfig#griffinLimMomentum()}),
     * through {@link #fastGriffinLim}.
     */
    public double[] reconstruct(double[][] mag, int length, int iterations, Randomness phases) {
        return fastGriffinLim(mag, length, iterations, a.griffinLimMomentum(), startingPhases(mag, phases));
    }

    /**
     * The fast Griffin-Lim algorithm of Perraudin, Balazs and Søndergaard ("A fast Griffin-Lim algorithm", IEEE WASPAA
     * 2013): Griffin and Lim's alternating projections (IEEE Trans. ASSP 32(2), 1984) — impose the magnitude, go to the
     * nearest consistent spectrogram by the inverse STFT and the STFT — with each new consistent estimate c_n pushed on
     * along its last step, t_n = c_n + α (c_n − c_{n−1}), before the magnitude is imposed again. α = 0 is plain
     * Griffin-Lim; the authors (and librosa) use 0.99.
     *
     * @param mag the target magnitude {@code [frames][bins]}
     * @param length samples of the signal returned
     * @param iterations projections onto the consistent spectrograms
     * @param alpha the momentum α in [0, 1)
     * @param start unit phasors {@code [frames][2·bins]} to start from (not changed)
     * @return the signal after the last iteration's phases are put on {@code mag}
     */
    public double[] fastGriffinLim(double[][] mag, int length, int iterations, double alpha, double[][] start) {
        if (!(alpha >= 0 && alpha < 1)) {
            throw new IllegalArgumentException("Griffin-Lim momentum must be in [0, 1), got " + alpha);
        }
        int bins = a.bins();
        double[][] angles = new double[start.length][];
        for (int t = 0; t < start.length; t++) {
            angles[t] = start[t].clone();
        }
        // t_n = c_n + α (c_n − c_{n−1}) = (1 + α) (c_n − α / (1 + α) c_{n−1}); only its phase is kept, so the factor goes
        double c = alpha / (1 + alpha);
        double[][] previous = new double[mag.length][2 * bins];
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

    /** Unit phasors {@code [frames][2·bins]} to start from, for the magnitude {@code mag} {@code [frames][bins]}. */
    double[][] startingPhases(double[][] mag, Randomness phases) {
        if (a.phaseInit() == AudioConfig.PhaseInit.PGHI) {
            return pghiPhases(mag, PGHI_TOLERANCE, phases);
        }
        int frames = mag.length;
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

    /** Coefficients more than 100 dB below the loudest get random phases in {@link #pghiPhases}, as the authors suggest. */
    static final double PGHI_TOLERANCE = 1e-5;

    /**
     * Phase-gradient heap integration (Průša, Balazs and Søndergaard, "A noniterative method for reconstruction of phase
     * from STFT magnitude", IEEE/ACM Trans. Audio, Speech, Language Process. 25(5), 2017): for a Gaussian window
     * exp(−π s²/λ) the STFT's log-magnitude and phase are the real and imaginary parts of an analytic function, so the
     * phase's derivatives follow from the magnitude's. With the phase referred to each frame's centre (time-invariant),
     * ∂φ/∂τ = (1/λ) ∂ln|X|/∂ω + 2πω and ∂φ/∂ω = −λ ∂ln|X|/∂τ (τ in samples, ω in cycles per sample); the Hann window
     * of length L is treated as the Gaussian with λ = 0.25645 L² (the paper's value). Starting from the loudest
     * coefficient, the phase is carried to its four neighbours by the trapezoidal rule, always from the loudest
     * coefficient reached so far (a max-heap), so that it crosses quiet regions last; an island cut off by coefficients
     * below {@code tolerance} times the loudest starts again at its own loudest. Coefficients below that get random
     * phases. This STFT puts the window's centre at sample nFft/2 of the frame, which adds π per bin along frequency.
     *
     * @param mag the magnitude {@code [frames][bins]}
     * @param tolerance relative magnitude below which a coefficient is left out
     * @param phases random phases for the left-out coefficients
     * @return unit phasors {@code [frames][2·bins]}
     */
    public double[][] pghiPhases(double[][] mag, double tolerance, Randomness phases) {
        int frames = mag.length;
        int bins = a.bins();
        int n = a.nFft();
        double hop = a.hop();
        double lambda = 0.25645 * a.window() * (double) a.window();
        double peak = 0;
        for (double[] row : mag) {
            for (double v : row) {
                peak = Math.max(peak, v);
            }
        }
        double floor = peak * tolerance;
        double[][] logMag = new double[frames][bins];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < bins; k++) {
                logMag[t][k] = Math.log(Math.max(mag[t][k], Math.max(floor, 1e-300)));
            }
        }
        // dφ/dτ in radians per sample and dφ/dω in radians per (cycle per sample), by central differences; the spectrum of a
        // real signal is even about bins 0 and nFft/2, so there the frequency difference is zero
        double[][] dTime = new double[frames][bins];
        double[][] dFreq = new double[frames][bins];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < bins; k++) {
                double ds = k == 0 || k == bins - 1 ? 0 : (logMag[t][k + 1] - logMag[t][k - 1]) * n / 2.0;
                dTime[t][k] = ds / lambda + 2 * Math.PI * k / n;
                int t0 = Math.max(0, t - 1);
                int t1 = Math.min(frames - 1, t + 1);
                double dt = t1 > t0 ? (logMag[t1][k] - logMag[t0][k]) / ((t1 - t0) * hop) : 0;
                dFreq[t][k] = -lambda * dt;
            }
        }
        double[][] phase = new double[frames][bins];
        boolean[] done = new boolean[frames * bins];
        SplittableRandom rng = phases.stream();
        Integer[] order = new Integer[frames * bins];
        int live = 0;
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < bins; k++) {
                if (mag[t][k] > floor && mag[t][k] > 0) {
                    order[live++] = t * bins + k;
                } else {
                    phase[t][k] = 2 * Math.PI * rng.nextDouble();
                    done[t * bins + k] = true;
                }
            }
        }
        java.util.Arrays.sort(order, 0, live, (x, y) -> Double.compare(mag[y / bins][y % bins], mag[x / bins][x % bins]));
        java.util.PriorityQueue<Integer> heap = new java.util.PriorityQueue<>(
                (x, y) -> Double.compare(mag[y / bins][y % bins], mag[x / bins][x % bins]));
        for (int s = 0; s < live; s++) {
            int seed = order[s];
            if (done[seed]) {
                continue;
            }
            done[seed] = true;
            phase[seed / bins][seed % bins] = 0;
            heap.add(seed);
            while (!heap.isEmpty()) {
                int cur = heap.poll();
                int t = cur / bins;
                int k = cur % bins;
                double p = phase[t][k];
                if (t + 1 < frames && !done[cur + bins]) {
                    phase[t + 1][k] = p + hop * (dTime[t][k] + dTime[t + 1][k]) / 2;
                    done[cur + bins] = true;
                    heap.add(cur + bins);
                }
                if (t > 0 && !done[cur - bins]) {
                    phase[t - 1][k] = p - hop * (dTime[t][k] + dTime[t - 1][k]) / 2;
                    done[cur - bins] = true;
                    heap.add(cur - bins);
                }
                if (k + 1 < bins && !done[cur + 1]) {
                    phase[t][k + 1] = p + (dFreq[t][k] + dFreq[t][k + 1]) / (2.0 * n) + Math.PI;
                    done[cur + 1] = true;
                    heap.add(cur + 1);
                }
                if (k > 0 && !done[cur - 1]) {
                    phase[t][k - 1] = p - (dFreq[t][k] + dFreq[t][k - 1]) / (2.0 * n) - Math.PI;
                    done[cur - 1] = true;
                    heap.add(cur - 1);
                }
            }
        }
        double[][] unit = new double[frames][2 * bins];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < bins; k++) {
                unit[t][2 * k] = Math.cos(phase[t][k]);
                unit[t][2 * k + 1] = Math.sin(phase[t][k]);
            }
        }
        return unit;
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
     * A log-power image back to sound: ln power {@code [height][frames]} → magnitude ({@link #toMagnitude}: for mel
     * bands through linear power by NNLS) → Griffin-Lim → {@link
     * AudioConfig#clipSamples()} samples.
     */
    public double[] toSound(double[][] logMel, Randomness phases) {
        return reconstruct(toMagnitude(logMel), a.clipSamples(), a.griffinLimIters(), phases);
    }

    /**
     * The first stage of {@link #toSound}: an image's log power {@code [height][frames]} to an STFT magnitude {@code
     * [frames][bins]}, by {@link #melToMagnitude} or {@link #linearImageToMagnitude} as {@link AudioConfig#frequency()} says.
     */
    public double[][] toMagnitude(double[][] logImage) {
        return a.frequency() == AudioConfig.Frequency.LINEAR ? linearImageToMagnitude(logImage) : melToMagnitude(logImage);
    }

    /**
     * A linear-frequency log-power image back to an STFT magnitude: |X(t, k)| = exp(L(k, t) / 2) for the image's
     * {@code nFft / 2} rows, bins 0 .. nFft/2 − 1, and 0 for the Nyquist bin, which the image leaves out (at 8 kHz it
     * sits at 4 kHz, where the recordings' anti-aliasing filter has left almost nothing). The inverse of the analysis up
     * to the 8-bit levels and the log floor: there is no filterbank to undo.
     *
     * @param logLinear ln power {@code [nFft/2][frames]}
     * @return the magnitude {@code [frames][nFft/2 + 1]}
     */
    public double[][] linearImageToMagnitude(double[][] logLinear) {
        int rows = a.nFft() / 2;
        if (logLinear.length != rows) {
            throw new IllegalArgumentException("a linear-frequency image has " + rows + " rows, got " + logLinear.length);
        }
        int frames = logLinear[0].length;
        double[][] mag = new double[frames][a.bins()];
        for (int k = 0; k < rows; k++) {
            for (int t = 0; t < frames; t++) {
                mag[t][k] = Math.exp(logLinear[k][t] / 2);
            }
        }
        return mag;
    }

    /** The mel case of {@link #toMagnitude}: ln mel power {@code [nMels][frames]} to an STFT magnitude {@code [frames][bins]} by NNLS. */
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

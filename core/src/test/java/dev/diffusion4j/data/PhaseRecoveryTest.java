package dev.diffusion4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import org.junit.jupiter.api.Test;

/** Fast Griffin-Lim, phase-gradient heap integration and the linear-frequency image, each against what it claims. */
class PhaseRecoveryTest {
    /** 8 kHz, a 256-sample Hann window in a 256-point FFT at hop 64 (75% overlap). */
    static final AudioConfig CHIRP = new AudioConfig(8000, 256, 64, 256, 64, 0, 4000, 64, 1e-5, 0, null, null,
            AudioConfig.PhaseInit.RANDOM, 200, AudioConfig.Frequency.LINEAR, 0.99);

    /** A linear chirp from 300 Hz to 2.5 kHz under a smooth envelope, 0.5 s. */
    static double[] chirp() {
        double[] x = new double[4000];
        for (int i = 0; i < x.length; i++) {
            double t = i / 8000.0;
            double env = Math.sin(Math.PI * i / x.length);
            x[i] = 0.5 * env * Math.sin(2 * Math.PI * (300 * t + 0.5 * 4400 * t * t));
        }
        return x;
    }

    private static double sc(GriffinLim gl, double[][] mag, double[] y) {
        return GriffinLim.spectralConvergence(mag, GriffinLim.magnitude(gl.stft(y)));
    }

    @Test
    void fastGriffinLimReachesASpectralConvergenceInFewerIterationsThanPlain() {
        GriffinLim gl = new GriffinLim(CHIRP);
        double[] x = chirp();
        double[][] mag = GriffinLim.magnitude(gl.stft(x));
        double[][] start = gl.startingPhases(mag, Randomness.of(3));
        double plain100 = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 100, 0, start));
        double fast25 = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 25, 0.99, start));
        double plain25 = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 25, 0, start));
        assertThat(plain100).as("plain Griffin-Lim improves with iterations").isLessThan(plain25);
        assertThat(fast25).as("fast Griffin-Lim at 25 iterations against plain at 100").isLessThan(plain100);
        // α = 0 is plain Griffin-Lim exactly, and the start is not changed
        assertThat(start[0][0] * start[0][0] + start[0][1] * start[0][1]).isCloseTo(1, within(1e-12));
    }

    @Test
    void pghiAloneRecoversMostOfTheSpectrogramWhereRandomPhasesDoNot() {
        GriffinLim gl = new GriffinLim(CHIRP);
        double[] x = chirp();
        double[][] mag = GriffinLim.magnitude(gl.stft(x));
        double random = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 0, 0.99, gl.startingPhases(mag, Randomness.of(3))));
        double[][] pghi = gl.pghiPhases(mag, GriffinLim.PGHI_TOLERANCE, Randomness.of(3));
        double fromPghi = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 0, 0.99, pghi));
        assertThat(random).as("random phases, no iteration").isGreaterThan(0.5);
        assertThat(fromPghi).as("PGHI's phases, no iteration").isLessThan(0.25);
        double gl10 = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 10, 0.99, gl.startingPhases(mag, Randomness.of(3))));
        double pghi10 = sc(gl, mag, gl.fastGriffinLim(mag, x.length, 10, 0.99, pghi));
        assertThat(pghi10).as("10 fast Griffin-Lim iterations from PGHI against from random phases").isLessThan(gl10);
    }

    @Test
    void linearImageRoundTripsAKnownMagnitudeExactly() {
        GriffinLim gl = new GriffinLim(CHIRP);
        int rows = CHIRP.height();
        assertThat(rows).isEqualTo(128);
        double[][] mag = new double[5][CHIRP.bins()];
        double[][] logPower = new double[rows][5];
        for (int t = 0; t < 5; t++) {
            for (int k = 0; k < rows; k++) {
                mag[t][k] = 0.01 + t + 0.5 * k;
                logPower[k][t] = Math.log(mag[t][k] * mag[t][k]);
            }
        }
        double[][] back = gl.linearImageToMagnitude(logPower);
        for (int t = 0; t < 5; t++) {
            for (int k = 0; k < CHIRP.bins(); k++) {
                assertThat(back[t][k]).as("frame %d bin %d", t, k).isCloseTo(mag[t][k], within(1e-12 * (1 + mag[t][k])));
            }
        }
        assertThat(back[0][CHIRP.bins() - 1]).as("the Nyquist bin comes back as zero").isZero();
    }

    @Test
    void linearImageAnalysisKeepsEachBinsPowerToHalfALevel() {
        Djl.engine();
        double[] x = chirp();
        AudioConfig a = new AudioConfig(8000, 256, 128, 256, 64, 0, 4000, 32, 1e-5, 0, null, null, AudioConfig.PhaseInit.RANDOM, 200,
                AudioConfig.Frequency.LINEAR, 0.99).withStats(Math.log(1e-5), Math.log(1e3));
        GriffinLim gl = new GriffinLim(a);
        double[] cut = java.util.Arrays.copyOf(x, a.clipSamples());
        double[][] mag = GriffinLim.magnitude(gl.stft(cut));
        float[] wave = new float[cut.length];
        for (int i = 0; i < cut.length; i++) {
            wave[i] = (float) cut[i];
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray power = new MelSpectrogram(a).mel(new MelSpectrogram(a).power(Ops.constant(m, wave, new Shape(1, wave.length))));
            assertThat(power.getShape()).as("bins 0..127 of every STFT frame").isEqualTo(new Shape(1, 128, mag.length));
            byte[] image = MelImages.analyse(new float[][] {wave}, a, m);
            assertThat(image).hasSize(128 * 32);
            double[][] back = gl.toMagnitude(MelImages.logMelOf(image, 0, a));
            double halfLevel = (a.logHigh() - a.logLow()) / 255 / 2;
            for (int t = 0; t < 32; t++) {
                for (int k = 0; k < 128; k++) {
                    double p = mag[t][k] * mag[t][k];
                    if (p > 1e-4) {
                        assertThat(Math.log(back[t][k] * back[t][k])).as("frame %d bin %d", t, k).isCloseTo(Math.log(p),
                                within(halfLevel + 1e-4));
                    }
                }
            }
        }
    }
}

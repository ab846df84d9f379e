package dev.diffusion4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WAV input and output, the STFT, the mel filterbank and Griffin-Lim, against independent computations. */
class AudioTest {
    static final AudioConfig SMALL = new AudioConfig(8000, 64, 16, 64, 16, 0, 4000, 16, 1e-5, 32, null, null);

    /** X_k = Σ_n x[n] w[n] e^{-2πikn/N} for each frame of the centred, reflect-padded signal, in double precision. */
    static double[][][] naiveStft(double[] x, double[] w, int nFft, int hop) {
        int pad = nFft / 2;
        int frames = 1 + x.length / hop;
        double[][][] out = new double[frames][nFft / 2 + 1][2];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k <= nFft / 2; k++) {
                double re = 0;
                double im = 0;
                for (int n = 0; n < nFft; n++) {
                    int i = t * hop + n - pad;
                    int j = i < 0 ? -i : i >= x.length ? 2 * (x.length - 1) - i : i;
                    double v = x[j] * w[n];
                    re += v * Math.cos(2 * Math.PI * k * n / nFft);
                    im -= v * Math.sin(2 * Math.PI * k * n / nFft);
                }
                out[t][k][0] = re;
                out[t][k][1] = im;
            }
        }
        return out;
    }

    static double[] noise(int n, long seed) {
        Random r = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian() * 0.3;
        }
        return x;
    }

    @Test
    void tensorStftPowerMatchesANaiveDft() {
        double[] x = noise(SMALL.clipSamples(), 1);
        double[][][] ref = naiveStft(x, MelSpectrogram.window(SMALL), SMALL.nFft(), SMALL.hop());
        Djl.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xf = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                xf[i] = (float) x[i];
            }
            NDArray p = new MelSpectrogram(SMALL).power(Ops.constant(m, xf, new Shape(1, x.length)));
            assertThat(p.getShape()).isEqualTo(new Shape(1, SMALL.bins(), SMALL.frames()));
            float[] got = p.toFloatArray();
            double worst = 0;
            for (int k = 0; k < SMALL.bins(); k++) {
                for (int t = 0; t < SMALL.frames(); t++) {
                    double want = ref[t][k][0] * ref[t][k][0] + ref[t][k][1] * ref[t][k][1];
                    worst = Math.max(worst, Math.abs(got[k * SMALL.frames() + t] - want) / (1 + want));
                }
            }
            assertThat(worst).isLessThan(1e-4);
        }
    }

    @Test
    void plainStftMatchesTheNaiveDftAndInvertsExactly() {
        double[] x = noise(300, 2);
        GriffinLim gl = new GriffinLim(SMALL);
        double[][] s = gl.stft(x);
        double[][][] ref = naiveStft(x, MelSpectrogram.window(SMALL), SMALL.nFft(), SMALL.hop());
        assertThat(s.length).isEqualTo(ref.length);
        for (int t = 0; t < s.length; t++) {
            for (int k = 0; k < SMALL.bins(); k++) {
                assertThat(s[t][2 * k]).isCloseTo(ref[t][k][0], within(1e-9));
                assertThat(s[t][2 * k + 1]).isCloseTo(ref[t][k][1], within(1e-9));
            }
        }
        double[] y = gl.istft(s, x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).isCloseTo(x[i], within(1e-9));
        }
    }

    @Test
    void slaneyMelScaleHasItsKnownPoints() {
        assertThat(MelFilterbank.hzToMel(1000)).isCloseTo(15, within(1e-12));
        assertThat(MelFilterbank.hzToMel(200.0 / 3)).isCloseTo(1, within(1e-12));
        // above 1 kHz, 27 mels per factor 6.4
        assertThat(MelFilterbank.hzToMel(6400)).isCloseTo(42, within(1e-12));
        for (double hz : new double[] {0, 37, 999, 1000, 1001, 3999, 22050}) {
            assertThat(MelFilterbank.melToHz(MelFilterbank.hzToMel(hz))).isCloseTo(hz, within(1e-9 * (1 + hz)));
        }
    }

    @Test
    void filterbankTrianglesPeakAtTheirCentresAndHaveUnitArea() {
        int sr = 16000;
        int nFft = 4096;
        int nMels = 40;
        double[][] fb = MelFilterbank.slaney(sr, nFft, nMels, 0, 8000);
        double[] edges = MelFilterbank.edges(nMels, 0, 8000);
        double binHz = (double) sr / nFft;
        for (int m = 0; m < nMels; m++) {
            int peak = 0;
            for (int k = 1; k < fb[m].length; k++) {
                if (fb[m][k] > fb[m][peak]) {
                    peak = k;
                }
            }
            assertThat(Math.abs(peak * binHz - edges[m + 1])).as("filter %d peaks at its centre", m).isLessThanOrEqualTo(binHz);
            double height = 2 / (edges[m + 2] - edges[m]);
            assertThat(fb[m][peak]).isCloseTo(height, within(height * 2 * binHz / (edges[m + 1] - edges[m])));
            double area = 0;
            for (double v : fb[m]) {
                area += v * binHz;
            }
            assertThat(area).as("Slaney-normalised filter %d has area 1 in Hz", m).isCloseTo(1, within(0.01));
            // zero outside its two neighbouring edges
            for (int k = 0; k < fb[m].length; k++) {
                if (k * binHz <= edges[m] || k * binHz >= edges[m + 2]) {
                    assertThat(fb[m][k]).isZero();
                }
            }
        }
    }

    @Test
    void nonNegativeLeastSquaresReproducesTheMelPower() {
        GriffinLim gl = new GriffinLim(SMALL);
        double[][] fb = MelFilterbank.of(SMALL);
        double[][] power = GriffinLim.magnitude(gl.stft(noise(SMALL.clipSamples(), 3)));
        double[][] mel = new double[power.length][fb.length];
        for (int t = 0; t < power.length; t++) {
            for (int m = 0; m < fb.length; m++) {
                for (int k = 0; k < fb[m].length; k++) {
                    mel[t][m] += fb[m][k] * power[t][k] * power[t][k];
                }
            }
        }
        double[][] back = gl.melToPower(mel, 500);
        double num = 0;
        double den = 0;
        for (int t = 0; t < back.length; t++) {
            for (int m = 0; m < fb.length; m++) {
                double proj = 0;
                for (int k = 0; k < fb[m].length; k++) {
                    assertThat(back[t][k]).isGreaterThanOrEqualTo(0);
                    proj += fb[m][k] * back[t][k];
                }
                num += (proj - mel[t][m]) * (proj - mel[t][m]);
                den += mel[t][m] * mel[t][m];
            }
        }
        assertThat(Math.sqrt(num / den)).isLessThan(0.05);
    }

    @Test
    void griffinLimRecoversASignalFromItsMagnitude() {
        AudioConfig a = new AudioConfig(8000, 256, 64, 256, 32, 0, 4000, 64, 1e-5, 100, null, null);
        GriffinLim gl = new GriffinLim(a);
        double[] x = new double[a.clipSamples()];
        for (int i = 0; i < x.length; i++) {
            double f = 300 + 1500.0 * i / x.length; // a chirp
            x[i] = 0.5 * Math.sin(2 * Math.PI * f * i / 8000.0) * Math.sin(Math.PI * i / x.length);
        }
        double[][] mag = GriffinLim.magnitude(gl.stft(x));
        double[] y = gl.reconstruct(mag, x.length, 100, Randomness.of(1));
        double sc = GriffinLim.spectralConvergence(mag, GriffinLim.magnitude(gl.stft(y)));
        double[] random = gl.reconstruct(mag, x.length, 0, Randomness.of(1));
        double sc0 = GriffinLim.spectralConvergence(mag, GriffinLim.magnitude(gl.stft(random)));
        assertThat(sc).isLessThan(0.1).isLessThan(sc0 / 3);
    }

    static void writeWav(Path file, float rate, int bits, int channels, boolean signed, byte[] pcm) throws Exception {
        AudioFormat f = new AudioFormat(signed ? AudioFormat.Encoding.PCM_SIGNED : AudioFormat.Encoding.PCM_UNSIGNED, rate, bits,
                channels, channels * bits / 8, rate, false);
        try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(pcm), f, pcm.length / (channels * bits / 8))) {
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, file.toFile());
        }
    }

    @Test
    void readsEightSixteenAndTwentyFourBitPcmAndMixesStereo(@TempDir Path dir) throws Exception {
        // 8-bit unsigned mono: 128 is zero
        writeWav(dir.resolve("u8.wav"), 8000, 8, 1, false, new byte[] {(byte) 128, (byte) 192, 64, 0});
        assertThat(Wav.read(dir.resolve("u8.wav")).samples()).containsExactly(0f, 0.5f, -0.5f, -1f);
        // 24-bit signed stereo, little-endian: left 0.5, right -0.25 → mono 0.125
        byte[] s24 = {0, 0, 0x40, 0, 0, (byte) 0xE0};
        writeWav(dir.resolve("s24.wav"), 8000, 24, 2, true, s24);
        assertThat(Wav.read(dir.resolve("s24.wav")).samples()).containsExactly(0.125f);
        // 16-bit: what write() writes, read() reads
        Wav w = new Wav(new float[] {0f, 0.25f, -0.5f, 0.999f}, 8000);
        w.write(dir.resolve("s16.wav"));
        Wav r = Wav.read(dir.resolve("s16.wav"));
        assertThat(r.sampleRate()).isEqualTo(8000);
        for (int i = 0; i < 4; i++) {
            assertThat(r.samples()[i]).isCloseTo(w.samples()[i], within(2f / 32767));
        }
    }

    @Test
    void truncatedAndForeignFilesGiveAnErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path full = dir.resolve("full.wav");
        new Wav(new float[800], 8000).write(full);
        byte[] b = Files.readAllBytes(full);
        Path cut = dir.resolve("cut.wav");
        Files.write(cut, java.util.Arrays.copyOf(b, b.length - 400));
        assertThatThrownBy(() -> Wav.read(cut)).isInstanceOf(DataException.class).hasMessageStartingWith(cut.toString())
                .hasMessageContaining("truncated");
        Path text = dir.resolve("text.wav");
        Files.writeString(text, "not a wave file");
        assertThatThrownBy(() -> Wav.read(text)).isInstanceOf(DataException.class).hasMessageStartingWith(text.toString());
        assertThatThrownBy(() -> Wav.read(dir.resolve("missing.wav"))).isInstanceOf(DataException.class).hasMessageContaining("no such file");
    }

    @Test
    void resamplingKeepsAToneAndItsLevel() {
        int n = 16000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 16000.0));
        }
        Wav down = new Wav(x, 16000).resample(8000);
        assertThat(down.sampleRate()).isEqualTo(8000);
        assertThat(down.samples()).hasSize(8000);
        double worst = 0;
        for (int i = 100; i < 7900; i++) {
            worst = Math.max(worst, Math.abs(down.samples()[i] - 0.5 * Math.sin(2 * Math.PI * 440 * i / 8000.0)));
        }
        assertThat(worst).isLessThan(0.01);
    }

    @Test
    void spokenDigitFolderSplitsByIndexAndLabelsByDigit(@TempDir Path dir) throws Exception {
        Random r = new Random(5);
        for (int digit = 0; digit < 2; digit++) {
            for (int index = 3; index < 7; index++) {
                float[] x = new float[SMALL.clipSamples() + r.nextInt(200) - 100];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (0.3 * Math.sin(2 * Math.PI * (500 + 1000 * digit) * i / 8000.0) + 0.01 * r.nextGaussian());
                }
                new Wav(x, 8000).write(dir.resolve(digit + "_tester_" + index + ".wav"));
            }
        }
        AudioDatasets.Loaded train = AudioDatasets.load(dir, Datasets.Split.TRAIN, SMALL);
        assertThat(train.images().count()).isEqualTo(4); // indices 5 and 6
        assertThat(train.images().labels()).containsExactly(0, 0, 1, 1);
        assertThat(train.images().height()).isEqualTo(SMALL.nMels());
        assertThat(train.images().width()).isEqualTo(SMALL.frames());
        assertThat(train.audio().hasStats()).isTrue();
        AudioDatasets.Loaded test = AudioDatasets.load(dir, Datasets.Split.TEST, train.audio());
        assertThat(test.images().count()).isEqualTo(4); // indices 3 and 4
        assertThat(test.audio()).isEqualTo(train.audio());
        // the training split spans the whole 8-bit range, as its statistics say
        int lo = 255;
        int hi = 0;
        for (byte b : train.images().pixels()) {
            lo = Math.min(lo, b & 0xff);
            hi = Math.max(hi, b & 0xff);
        }
        assertThat(lo).isZero();
        assertThat(hi).isEqualTo(255);
        // a 500 Hz tone is brightest in a lower mel band than a 1500 Hz tone; row 0 is the top band
        assertThat(brightestRow(train.images(), 0)).isGreaterThan(brightestRow(train.images(), 2));
        // back to sound: as long as a clip, at the configured rate
        Wav back = MelImages.soundOf(train.images().pixels(), 0, train.audio(), Randomness.of(1));
        assertThat(back.samples()).hasSize(SMALL.clipSamples());
        assertThat(back.sampleRate()).isEqualTo(8000);

        Files.writeString(dir.resolve("1_tester_9.wav"), "RIFF broken");
        assertThatThrownBy(() -> AudioDatasets.load(dir, Datasets.Split.TRAIN, SMALL)).isInstanceOf(DataException.class)
                .hasMessageStartingWith(dir.resolve("1_tester_9.wav").toString());
    }

    private static int brightestRow(ImageDataset d, int i) {
        int per = d.height() * d.width();
        int best = 0;
        double bestSum = -1;
        for (int row = 0; row < d.height(); row++) {
            double s = 0;
            for (int t = 0; t < d.width(); t++) {
                s += d.pixels()[i * per + row * d.width() + t] & 0xff;
            }
            if (s > bestSum) {
                bestSum = s;
                best = row;
            }
        }
        return best;
    }

    /** A WAV header and data as bytes, with whatever fields the caller wants, right or wrong. */
    static byte[] rawWav(int format, int channels, int rate, int bits, byte[] data) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + data.length).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) format).putShort((short) channels).putInt(rate)
                .putInt(rate * Math.max(1, channels) * bits / 8).putShort((short) (Math.max(1, channels) * bits / 8)).putShort((short) bits);
        b.put("data".getBytes()).putInt(data.length).put(data);
        return b.array();
    }

    @Test
    void badWavsAreOneLineErrorsNamingTheFile(@TempDir Path dir) throws Exception {
        Path empty = dir.resolve("empty.wav");
        Files.write(empty, new byte[0]);
        Path noFrames = dir.resolve("no-frames.wav");
        Files.write(noFrames, rawWav(1, 1, 8000, 16, new byte[0]));
        Path noChannels = dir.resolve("no-channels.wav");
        Files.write(noChannels, rawWav(1, 0, 8000, 16, new byte[64]));
        Path float96 = dir.resolve("float-96k.wav");
        Files.write(float96, rawWav(3, 1, 96000, 32, new byte[4 * 96]));
        Path cut = dir.resolve("cut.wav");
        Files.write(cut, java.util.Arrays.copyOf(rawWav(1, 1, 8000, 16, new byte[1600]), 44 + 700));
        for (Path f : new Path[] {empty, noFrames, noChannels, float96, cut}) {
            assertThatThrownBy(() -> Wav.read(f)).as(f.getFileName().toString()).isInstanceOf(DataException.class)
                    .hasMessageStartingWith(f + ": ").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        assertThatThrownBy(() -> Wav.read(float96)).hasMessageContaining("32-bit");
        assertThatThrownBy(() -> Wav.read(noFrames)).hasMessageContaining("no audio frames");
    }

    @Test
    void logSpectralDistanceOfAKnownGainIsThatGainInDecibels() {
        double[][] ref = {{1, 2, 3}, {0.5, 4, 1}};
        double g = Math.pow(10, 3.0 / 20); // +3 dB in power
        double[][] est = {{g, 2 * g, 3 * g}, {0.5 * g, 4 * g, g}};
        assertThat(GriffinLim.logSpectralDistance(ref, est)).isCloseTo(3.0, within(1e-9));
        assertThat(GriffinLim.logSpectralDistance(ref, ref)).isZero();
        // below the floor, 60 dB under the peak, nothing counts
        assertThat(GriffinLim.logSpectralDistance(new double[][] {{1, 1e-4}}, new double[][] {{1, 1e-7}})).isZero();
    }

    @Test
    void griffinLimFromAdvancingPhasesIsDeterministicAndConverges() {
        AudioConfig base = new AudioConfig(8000, 256, 64, 256, 32, 0, 4000, 64, 1e-5, 100, null, null);
        AudioConfig advance = new AudioConfig(8000, 256, 64, 256, 32, 0, 4000, 64, 1e-5, 100, null, null, AudioConfig.PhaseInit.ADVANCE, 200);
        double[] x = new double[base.clipSamples()];
        for (int i = 0; i < x.length; i++) {
            double f = 300 + 1500.0 * i / x.length;
            x[i] = 0.5 * Math.sin(2 * Math.PI * f * i / 8000.0) * Math.sin(Math.PI * i / x.length);
        }
        GriffinLim gl = new GriffinLim(advance);
        double[][] mag = GriffinLim.magnitude(gl.stft(x));
        double[] a = gl.reconstruct(mag, x.length, 100, Randomness.of(1));
        double[] b = gl.reconstruct(mag, x.length, 100, Randomness.of(2));
        assertThat(a).as("no random draw when the phases advance").containsExactly(b);
        double sc = GriffinLim.spectralConvergence(mag, GriffinLim.magnitude(gl.stft(a)));
        assertThat(sc).isLessThan(0.1);
        // the starting phases themselves: bin k of frame t at 2 pi k hop t / nFft
        double[][] start = gl.startingPhases(new double[3][advance.bins()], Randomness.of(1));
        assertThat(Math.atan2(start[2][2 * 5 + 1], start[2][2 * 5])).isCloseTo(
                Math.IEEEremainder(2 * Math.PI * 5 * 64 * 2 / 256.0, 2 * Math.PI), within(1e-12));
    }

    @Test
    void roundTripStagesOfAChirp() {
        AudioConfig a = new AudioConfig(8000, 256, 64, 256, 48, 0, 4000, 64, 1e-5, 60, null, null).withStats(Math.log(1e-5), 5.0);
        float[] x = new float[a.clipSamples()];
        for (int i = 0; i < x.length; i++) {
            double f = 300 + 1500.0 * i / x.length;
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * f * i / 8000.0) * Math.sin(Math.PI * i / x.length));
        }
        try (var m = dev.diffusion4j.testing.Tensors.manager(1)) {
            dev.diffusion4j.eval.RoundTrip.Result r = dev.diffusion4j.eval.RoundTrip.measure(x, new MelSpectrogram(a).logMels(m, new float[][] {x})[0], a,
                    Randomness.of(3));
            assertThat(r.scPhase()).as("Griffin-Lim from the true magnitude").isLessThan(0.15);
            assertThat(r.scMel()).as("NNLS from 48 mel bands").isPositive().isLessThan(0.5);
            assertThat(r.scFull()).as("the whole way back loses at least what its first stage does, within the phase stage's error")
                    .isGreaterThan(r.scMel() - r.scPhase() - 0.05);
            assertThat(r.rebuilt()).hasSize(a.clipSamples());
        }
    }
}

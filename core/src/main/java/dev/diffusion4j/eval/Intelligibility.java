package dev.diffusion4j.eval;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.GriffinLim;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.engine.Randomness;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How much of what is said a recogniser still understands: its accuracy on the word each clip should be, per word and
 * overall, and the ways a real clip can take back to sound (cut to the model's length, the STFT magnitude through
 * Griffin-Lim alone, the 8-bit image of a representation through the whole way back), each scored by the same recogniser.
 */
public final class Intelligibility {
    private Intelligibility() {}

    /**
     * A recogniser's score: clips of each word it named rightly, out of all of that word.
     *
     * @param words the words, in label order
     * @param correct per word, clips named rightly
     * @param total per word, clips
     * @param right per clip, whether it was named rightly
     */
    public record Score(List<String> words, int[] correct, int[] total, boolean[] right) {
        /** The fraction of all clips named rightly. */
        public double accuracy() {
            return (double) Arrays.stream(correct).sum() / Math.max(1, Arrays.stream(total).sum());
        }

        /** The fraction of word {@code c}'s clips named rightly (NaN when there are none). */
        public double accuracy(int c) {
            return total[c] == 0 ? Double.NaN : (double) correct[c] / total[c];
        }

        /** Clips right in {@code reference} and wrong here. */
        public int lostAgainst(Score reference) {
            int n = 0;
            for (int i = 0; i < right.length; i++) {
                n += reference.right[i] && !right[i] ? 1 : 0;
            }
            return n;
        }

        /** Clips wrong in {@code reference} and right here. */
        public int gainedAgainst(Score reference) {
            return reference.lostAgainst(this);
        }
    }

    /**
     * Scores what was heard against the labels.
     *
     * @param labels each clip's word, an index into {@code words}
     * @param heard each clip's recognised word, or null
     */
    public static Score score(int[] labels, List<String> heard, List<String> words) {
        if (labels.length != heard.size()) {
            throw new IllegalArgumentException(labels.length + " labels for " + heard.size() + " clips");
        }
        int[] correct = new int[words.size()];
        int[] total = new int[words.size()];
        boolean[] right = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            total[labels[i]]++;
            String h = heard.get(i);
            right[i] = h != null && h.equalsIgnoreCase(words.get(labels[i]));
            correct[labels[i]] += right[i] ? 1 : 0;
        }
        return new Score(List.copyOf(words), correct, total, right);
    }

    /** What a stage does to a real clip on its way back to sound. */
    public enum Way {
        /** Nothing: the whole recording. */
        ORIGINAL,
        /** Cut or padded with silence to the representation's {@link AudioConfig#clipSamples()}, as the model sees it. */
        CUT,
        /** The cut clip's STFT magnitude through Griffin-Lim alone: no image, no mel bands, no 8-bit levels. */
        STFT,
        /** The cut clip as the representation's 8-bit image, then the whole way back, as a generated image goes. */
        IMAGE
    }

    /**
     * One stage of the way back to sound.
     *
     * @param name how reports call it
     * @param way what it does
     * @param audio the representation and its way back (for {@link Way#IMAGE}, with the log range measured on training clips)
     */
    public record Stage(String name, Way way, AudioConfig audio) {
        /**
         * The real clip {@code wave} (at {@code audio.sampleRate()}) after this stage, at the same rate.
         *
         * @param phases Griffin-Lim's random starting phases, when the settings use them
         */
        public float[] apply(float[] wave, Randomness phases, NDManager m) {
            return switch (way) {
                case ORIGINAL -> wave.clone();
                case CUT -> cut(wave, audio.clipSamples());
                case STFT -> throughStft(wave, audio, phases);
                case IMAGE -> throughImage(wave, audio, phases, m);
            };
        }

        /** The settings in words: image, STFT and phase recovery. */
        public String settings() {
            if (way == Way.ORIGINAL) {
                return "the whole recording";
            }
            if (way == Way.CUT) {
                return String.format(Locale.ROOT, "%d samples (%.3f s)", audio.clipSamples(), audio.clipSamples() / (double) audio.sampleRate());
            }
            String gl = String.format(Locale.ROOT, "%s Griffin-Lim %d from %s phases", audio.griffinLimMomentum() == 0 ? "plain"
                    : String.format(Locale.ROOT, "fast (α %.2f)", audio.griffinLimMomentum()), audio.griffinLimIters(),
                    audio.phaseInit().name().toLowerCase(Locale.ROOT));
            String stft = String.format(Locale.ROOT, "nFft %d, window %d, hop %d", audio.nFft(), audio.window(), audio.hop());
            return way == Way.STFT ? stft + "; " + gl
                    : String.format(Locale.ROOT, "%s x %d frames, %s; %s", audio.rows(), audio.frames(), stft,
                            audio.frequency() == AudioConfig.Frequency.MEL ? "NNLS " + audio.melIters() + ", " + gl : gl);
        }
    }

    /**
     * The stages {@code eval intelligibility --stages} measures (docs/AUDIO.md), at 8 kHz: the recording; cut to 64 frames
     * at hop 128 (8,064 samples, 1.008 s); its STFT magnitude through Griffin-Lim alone, at each analysis below; the mel images that were
     * the defaults (32 bands x 32 frames at hop 256, and 64 x 64 at hop 128 with a 256-sample window in a 512-point FFT, the
     * representation of {@code configs/fsdd.yaml} until linear images were measured), with plain Griffin-Lim and with more
     * iterations; 80 and 128 mel bands; and linear-frequency images, 128 bins of a 256-point FFT.
     */
    public static List<Stage> standardStages() {
        AudioConfig.PhaseInit random = AudioConfig.PhaseInit.RANDOM;
        AudioConfig.Frequency mel = AudioConfig.Frequency.MEL;
        AudioConfig.Frequency linear = AudioConfig.Frequency.LINEAR;
        double fast = AudioConfig.DEFAULT_MOMENTUM;
        AudioConfig c5 = new AudioConfig(8000, 512, 128, 256, 64, 0, 4000, 64, 1e-5, 64, null, null, random, 200, mel, fast);
        AudioConfig c0 = new AudioConfig(8000, 512, 256, 512, 32, 0, 4000, 32, 1e-5, 64, null, null, random, 200, mel, fast);
        AudioConfig lin = new AudioConfig(8000, 256, 128, 256, 64, 0, 4000, 64, 1e-5, 64, null, null, random, 200, linear, fast);
        AudioConfig lin64 = new AudioConfig(8000, 256, 64, 256, 64, 0, 4000, 128, 1e-5, 64, null, null, random, 200, linear, fast);
        List<Stage> s = new ArrayList<>();
        s.add(new Stage("original", Way.ORIGINAL, c5));
        s.add(new Stage("cut to 64 frames, hop 128", Way.CUT, c5));
        s.add(new Stage("STFT 512/256 -> GL", Way.STFT, c5));
        s.add(new Stage("STFT 256/256 -> GL", Way.STFT, lin));
        s.add(new Stage("STFT 256/256 hop 64 -> GL", Way.STFT, lin64));
        s.add(new Stage("mel 32x32 hop 256 (c0)", Way.IMAGE, c0));
        s.add(new Stage("mel 64x64 (c5)", Way.IMAGE, c5));
        s.add(new Stage("mel 64x64, plain GL", Way.IMAGE, c5.withPhaseRecovery(64, random, 0)));
        s.add(new Stage("mel 64x64, GL 256", Way.IMAGE, c5.withPhaseRecovery(256, random, fast)));
        s.add(new Stage("mel 80x64", Way.IMAGE, withMels(c5, 80)));
        s.add(new Stage("mel 128x64", Way.IMAGE, withMels(c5, 128)));
        s.add(new Stage("linear 128x64", Way.IMAGE, lin));
        s.add(new Stage("linear 128x64, plain GL", Way.IMAGE, lin.withPhaseRecovery(64, random, 0)));
        s.add(new Stage("linear 128x64, GL 256", Way.IMAGE, lin.withPhaseRecovery(256, random, fast)));
        s.add(new Stage("linear 128x128 hop 64", Way.IMAGE, lin64));
        return s;
    }

    private static AudioConfig withMels(AudioConfig a, int mels) {
        return new AudioConfig(a.sampleRate(), a.nFft(), a.hop(), a.window(), mels, a.fMin(), a.fMax(), a.frames(), a.logFloor(),
                a.griffinLimIters(), null, null, a.phaseInit(), a.melIters(), a.frequency(), a.griffinLimMomentum());
    }

    /** The first {@code n} samples of {@code wave}, padded with zeros. */
    public static float[] cut(float[] wave, int n) {
        return Arrays.copyOf(wave, n);
    }

    /** The cut clip's STFT magnitude under {@code a} through Griffin-Lim ({@link GriffinLim#reconstruct}). */
    public static float[] throughStft(float[] wave, AudioConfig a, Randomness phases) {
        int len = a.clipSamples();
        double[] x = new double[len];
        for (int i = 0; i < Math.min(len, wave.length); i++) {
            x[i] = wave[i];
        }
        GriffinLim gl = new GriffinLim(a);
        return toFloat(gl.reconstruct(GriffinLim.magnitude(gl.stft(x)), len, a.griffinLimIters(), phases));
    }

    /**
     * The clip as the 8-bit image the model trains on ({@link MelImages#analyse}, {@code a}'s log range), then back to
     * sound the way a generated image goes ({@link MelImages#soundOf}).
     */
    public static float[] throughImage(float[] wave, AudioConfig a, Randomness phases, NDManager m) {
        if (!a.hasStats()) {
            throw new IllegalArgumentException("an image stage needs the log range measured on training clips");
        }
        byte[] image = MelImages.analyse(new float[][] {wave}, a, m);
        return MelImages.soundOf(image, 0, a, phases).samples();
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** Clip lengths in samples: how many are longer than {@code limit}, and the quantiles. */
    public record Lengths(int count, int longer, int min, int median, int p90, int p99, int max) {}

    /** The length figures of {@code clips} against a cut at {@code limit} samples. */
    public static Lengths lengths(List<Wav> clips, int limit) {
        int[] n = clips.stream().mapToInt(w -> w.samples().length).sorted().toArray();
        if (n.length == 0) {
            return new Lengths(0, 0, 0, 0, 0, 0, 0);
        }
        int longer = (int) Arrays.stream(n).filter(v -> v > limit).count();
        return new Lengths(n.length, longer, n[0], n[(n.length - 1) / 2], n[(int) Math.floor(0.9 * (n.length - 1))],
                n[(int) Math.floor(0.99 * (n.length - 1))], n[n.length - 1]);
    }

    /** Every clip through a stage, clip i with the starting phases {@code phases.step(i)}. */
    public static List<Wav> through(Stage stage, List<Wav> clips, Randomness phases, NDManager m) {
        List<Wav> out = new ArrayList<>(clips.size());
        for (int i = 0; i < clips.size(); i++) {
            Wav w = clips.get(i).resample(stage.audio().sampleRate());
            try (NDManager s = m.newSubManager()) {
                out.add(new Wav(stage.apply(w.samples(), phases.step(i), s), w.sampleRate()));
            }
        }
        return out;
    }
}

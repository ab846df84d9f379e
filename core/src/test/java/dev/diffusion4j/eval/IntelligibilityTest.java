package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.testing.Skips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recogniser wrapper's grammar, input and parsing, the scores, and PocketSphinx itself on real spoken digits. */
class IntelligibilityTest {
    /** The Free Spoken Digit Dataset as the repository's documents name it, from the repository's root. */
    static final Path FSDD = Path.of("../shared/data/fsdd/recordings");

    @Test
    void parsesPocketSphinxHypothesisLines() {
        Map<String, String> h = PocketSphinx.parseHypotheses("""
                seven (clip-00000 -1234)
                (clip-00001 -5)
                two three  (clip-00002 -77)

                nine (clip-00003 0)
                """);
        assertThat(h).containsEntry("clip-00000", "seven").containsEntry("clip-00001", "").containsEntry("clip-00002", "two three")
                .containsEntry("clip-00003", "nine").hasSize(4);
        assertThatThrownBy(() -> PocketSphinx.parseHypotheses("INFO: batch.c(800): done\n"))
                .hasMessageContaining("not a PocketSphinx hypothesis line: 'INFO: batch.c(800): done'");
    }

    @Test
    void theGrammarAllowsExactlyOneOfTheWords() {
        assertThat(PocketSphinx.grammar(List.of("Zero", "one", "two")))
                .isEqualTo("#JSGF V1.0;\ngrammar words;\npublic <word> = zero | one | two;\n");
    }

    @Test
    void clipsGoToTheRecogniserAtSixteenKilohertzAsRawPcm() {
        float[] s = new float[800];
        s[400] = 0.5f;
        s[401] = 2f;
        byte[] pcm = PocketSphinx.prepare(new Wav(s, 8000));
        assertThat(pcm).hasSize(2 * 1600);
        short[] v = new short[1600];
        java.nio.ByteBuffer.wrap(pcm).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(v);
        assertThat(v[800]).as("the 8 kHz sample 400 is the 16 kHz sample 800").isBetween((short) 16000, (short) 32767);
        assertThat(Arrays.stream(new int[] {v[0], v[1599]}).max().orElseThrow()).isZero();
    }

    @Test
    void scoresPerWordAndCountsWhatAStageLostAndGained() {
        List<String> words = List.of("zero", "one", "two");
        int[] labels = {0, 0, 1, 1, 2, 2};
        Intelligibility.Score ref = Intelligibility.score(labels, Arrays.asList("zero", "one", "one", "one", null, "two"), words);
        assertThat(ref.correct()).containsExactly(1, 2, 1);
        assertThat(ref.total()).containsExactly(2, 2, 2);
        assertThat(ref.accuracy()).isEqualTo(4 / 6.0);
        assertThat(ref.accuracy(1)).isEqualTo(1.0);
        Intelligibility.Score s = Intelligibility.score(labels, Arrays.asList("zero", "zero", "ONE", "two", "two", "two"), words);
        assertThat(s.accuracy()).as("all but clip 3").isEqualTo(5 / 6.0);
        assertThat(s.lostAgainst(ref)).as("clip 3 was right and is wrong").isEqualTo(1);
        assertThat(s.gainedAgainst(ref)).as("clips 1 and 4 were wrong and are right").isEqualTo(2);
        assertThatThrownBy(() -> Intelligibility.score(labels, List.of("zero"), words)).hasMessageContaining("6 labels for 1 clips");
    }

    @Test
    void lengthFiguresOfClipsAgainstTheCut() {
        List<Wav> clips = new ArrayList<>();
        for (int n : new int[] {100, 300, 200, 900, 400}) {
            clips.add(new Wav(new float[n], 8000));
        }
        Intelligibility.Lengths l = Intelligibility.lengths(clips, 350);
        assertThat(l.longer()).isEqualTo(2);
        assertThat(l.median()).isEqualTo(300);
        assertThat(l.min()).isEqualTo(100);
        assertThat(l.max()).isEqualTo(900);
    }

    @Test
    void pocketSphinxNamesMostRealSpokenDigits() throws Exception {
        Skips.unless(PocketSphinx.missing().isEmpty(), PocketSphinx.missing().orElse(""));
        Skips.unless(Files.isDirectory(FSDD), "no Free Spoken Digit Dataset at " + FSDD.toAbsolutePath().normalize());
        // two test clips of each digit, from two speakers
        List<Wav> clips = new ArrayList<>();
        int[] labels = new int[20];
        for (int d = 0; d < 10; d++) {
            for (int j = 0; j < 2; j++) {
                Path f = FSDD.resolve(d + "_" + (j == 0 ? "jackson" : "nicolas") + "_0.wav");
                labels[2 * d + j] = AudioDatasets.label(f);
                clips.add(Wav.read(f));
            }
        }
        PocketSphinx ps = PocketSphinx.installed();
        Intelligibility.Score s = Intelligibility.score(labels, ps.recognise(clips, AudioDatasets.SPOKEN_DIGITS), AudioDatasets.SPOKEN_DIGITS);
        assertThat(s.accuracy()).as("PocketSphinx on 20 real clips, per digit %s", Arrays.toString(s.correct())).isGreaterThanOrEqualTo(0.6);
        assertThatThrownBy(() -> ps.recognise(clips, List.of("zero", "qqqxzzy"))).hasMessageContaining("'qqqxzzy' is not in PocketSphinx's dictionary");
    }

    @Test
    void aMissingProgramIsOneLineSayingHowToInstallIt() {
        String before = System.getProperty("diffusion4j.pocketsphinx");
        System.setProperty("diffusion4j.pocketsphinx", "no-such-pocketsphinx-program");
        try {
            assertThat(PocketSphinx.missing()).hasValue(
                    "PocketSphinx is not installed (no no-such-pocketsphinx-program on the PATH): apt-get install pocketsphinx pocketsphinx-en-us");
            assertThatThrownBy(PocketSphinx::installed).hasMessageContaining("apt-get install pocketsphinx pocketsphinx-en-us");
        } finally {
            if (before == null) {
                System.clearProperty("diffusion4j.pocketsphinx");
            } else {
                System.setProperty("diffusion4j.pocketsphinx", before);
            }
        }
    }
}

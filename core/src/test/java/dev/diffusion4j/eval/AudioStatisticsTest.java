package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.Wav;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The spectral statistics on signals whose values are known. */
class AudioStatisticsTest {
    @Test
    void toneAndNoiseHaveTheirKnownCentroidFlatnessAndDuration() {
        AudioConfig a = AudioConfig.defaults();
        int n = a.clipSamples();
        float[] tone = new float[n];
        float[] noise = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
            tone[i] = i < n / 2 ? (float) (0.5 * Math.sin(2 * Math.PI * 1000 * i / 8000.0)) : 0f;
            noise[i] = (float) (0.1 * r.nextGaussian());
        }
        List<AudioStatistics.Figure> t = AudioStatistics.of(List.of(new Wav(tone, 8000)), a);
        List<AudioStatistics.Figure> w = AudioStatistics.of(List.of(new Wav(noise, 8000)), a);
        // level: a 0.5 sine over half the clip has mean power 0.0625
        assertThat(t.get(0).mean()).isCloseTo(10 * Math.log10(0.0625), within(0.3));
        assertThat(t.get(1).mean()).as("centroid of a 1 kHz tone").isCloseTo(1000, within(30.0));
        assertThat(t.get(3).mean()).as("a tone is not flat").isLessThan(0.01);
        assertThat(t.get(4).mean()).as("active for about half the clip").isCloseTo(n / 2.0 / 8000, within(0.1));
        // white noise: centroid near a quarter of the sample rate, flatness near exp(-γ) = 0.56 for exponential power
        assertThat(w.get(1).mean()).isCloseTo(2000, within(100.0));
        assertThat(w.get(3).mean()).isCloseTo(Math.exp(-0.5772156649), within(0.05));
        assertThat(w.get(4).mean()).isCloseTo(32 * 256 / 8000.0, within(0.01));
    }
}

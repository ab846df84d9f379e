package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.testing.Tensors;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTest {
    /** Two classes of 8x8 images: a bright left half or a bright right half, with noise. */
    static ImageDataset halves(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * 64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(2);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean on = (x < 4) == (labels[i] == 0);
                    px[i * 64 + y * 8 + x] = (byte) ((on ? 150 : 60) + r.nextInt(60));
                }
            }
        }
        return new ImageDataset("halves", n, 1, 8, 8, px, labels);
    }

    /** Means and covariances equal up to rounding, on the scale of the largest variance. */
    private static void assertSameMoments(FrechetDistance.Moments a, FrechetDistance.Moments b) {
        double scale = 0;
        for (int i = 0; i < b.cov().length; i++) {
            scale = Math.max(scale, Math.abs(b.cov()[i][i]));
        }
        assertThat(a.count()).isEqualTo(b.count());
        for (int i = 0; i < b.cov().length; i++) {
            assertThat(a.mean()[i]).isCloseTo(b.mean()[i], org.assertj.core.api.Assertions.within(1e-9 * (Math.abs(b.mean()[i]) + 1e-6)));
            for (int j = 0; j < b.cov().length; j++) {
                assertThat(a.cov()[i][j]).as("cov[%d][%d]", i, j).isCloseTo(b.cov()[i][j], org.assertj.core.api.Assertions.within(1e-9 * scale));
            }
        }
    }

    @Test
    void learnsSavesLoadsAndSummarises(@TempDir Path dir) throws Exception {
        try (NDManager m = Tensors.manager(1)) {
            ClassifierTraining.Trained c = ClassifierTraining.train(halves(256, 1), 2, 32, 3e-3, Randomness.of(5), m, null);
            ImageDataset test = halves(200, 2);
            double acc = ClassifierTraining.accuracy(c, test, 50, m);
            assertThat(acc).isGreaterThan(0.95);
            Path f = dir.resolve("c.safetensors");
            ClassifierTraining.save(c, f, acc, "halves", null);
            ClassifierTraining.Trained back = ClassifierTraining.load(f, m);
            assertThat(back.audio()).isNull();
            // a classifier of sound keeps the audio settings that made its inputs
            dev.diffusion4j.data.AudioConfig audio = dev.diffusion4j.data.AudioConfig.defaults().withStats(-11.5, 4.25);
            Path g = dir.resolve("sound.safetensors");
            ClassifierTraining.save(c, g, acc, "wav:x", audio);
            assertThat(ClassifierTraining.load(g, m).audio()).isEqualTo(audio);
            assertThat(ClassifierTraining.accuracy(back, test, 50, m)).isEqualTo(acc);
            ClassifierTraining.Summary s = ClassifierTraining.summarise(back, test, 64, m);
            assertThat(s.moments().mean()).hasSize(Classifier.FEATURES);
            assertThat(s.classEntropyBits()).isBetween(0.9, 1.0); // two balanced classes
            assertThat(s.confidence()).isGreaterThan(0.8);
            // the same images are at distance 0 from themselves, another sample of the same data close by
            assertThat(FrechetDistance.of(s.moments(), s.moments())).isLessThan(1e-6);
            ClassifierTraining.Summary other = ClassifierTraining.summarise(back, halves(200, 3), 64, m);
            // the sufficient statistics of pieces cut at multiples of the batch add up to those of the whole, and give its moments
            FeatureStatistics whole = ClassifierTraining.statistics(back, test, 64, m);
            FeatureStatistics pieces = ClassifierTraining.statistics(back, test.slice(128, 200), 64, m)
                    .plus(ClassifierTraining.statistics(back, test.head(128), 64, m));
            assertThat(pieces.count()).isEqualTo(200);
            assertThat(whole.sum()).as("the same features, summed in another order").containsExactly(pieces.sum(),
                    org.assertj.core.api.Assertions.offset(1e-12 * Arrays.stream(whole.sum()).map(Math::abs).max().orElse(1)));
            assertSameMoments(pieces.moments(), whole.moments());
            assertSameMoments(s.moments(), whole.moments());
            ImageDataset allLeft = halves(400, 4);
            int k = 0;
            int[] idx = new int[200];
            for (int i = 0; i < allLeft.count() && k < 200; i++) {
                if (allLeft.labels()[i] == 0) {
                    idx[k++] = i;
                }
            }
            byte[] px = new byte[k * 64];
            for (int i = 0; i < k; i++) {
                System.arraycopy(allLeft.pixels(), idx[i] * 64, px, i * 64, 64);
            }
            ClassifierTraining.Summary oneClass = ClassifierTraining.summarise(back, new ImageDataset("left", k, 1, 8, 8, px, null), 64, m);
            assertThat(FrechetDistance.of(oneClass.moments(), s.moments())).isGreaterThan(3 * FrechetDistance.of(other.moments(), s.moments()));
            assertThat(oneClass.classEntropyBits()).isLessThan(0.2);
        }
    }
}

package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The class entropy of a histogram and its exact expectation for evenly drawn classes. */
class ClassEntropyTest {
    @Test
    void histogramEntropyInBits() {
        assertThat(ClassEntropy.bits(new int[] {5, 5})).isCloseTo(1.0, within(1e-15));
        assertThat(ClassEntropy.bits(new int[] {7, 0, 0})).isZero();
        assertThat(ClassEntropy.bits(new int[] {1, 1, 1, 1})).isCloseTo(2.0, within(1e-15));
        assertThat(ClassEntropy.bits(new int[] {2, 1})).isCloseTo(0.9182958340544896, within(1e-15));
    }

    /** Every one of the k^n equally likely class sequences enumerated: an independent reference. */
    private static double enumerated(int n, int k) {
        int sequences = (int) Math.round(Math.pow(k, n));
        double sum = 0;
        for (int s = 0; s < sequences; s++) {
            int[] hist = new int[k];
            for (int i = 0, r = s; i < n; i++, r /= k) {
                hist[r % k]++;
            }
            sum += ClassEntropy.bits(hist);
        }
        return sum / sequences;
    }

    @Test
    void expectationMatchesEnumerationOfAllSequences() {
        assertThat(ClassEntropy.expectedUniformBits(1, 10)).isCloseTo(0.0, within(1e-15));
        assertThat(ClassEntropy.expectedUniformBits(2, 2)).isCloseTo(0.5, within(1e-15));
        for (int[] nk : new int[][] {{3, 2}, {5, 3}, {7, 4}, {5, 10}, {9, 2}}) {
            assertThat(ClassEntropy.expectedUniformBits(nk[0], nk[1]))
                    .as("n=%d k=%d", nk[0], nk[1])
                    .isCloseTo(enumerated(nk[0], nk[1]), within(1e-10));
        }
    }

    @Test
    void largeSamplesApproachMillersBiasBelowTheMaximum() {
        double max = ClassEntropy.maxBits(10);
        assertThat(max).isCloseTo(3.321928094887362, within(1e-15));
        for (int n : new int[] {300, 1000, 10000}) {
            double miller = max - 9 / (2.0 * n * Math.log(2));
            // the next term of the expansion is O(1/n²): a few thousandths of a bit at 300 samples
            assertThat(ClassEntropy.expectedUniformBits(n, 10)).as("n=%d", n).isCloseTo(miller, within(20.0 / ((double) n * n)))
                    .isLessThan(max);
        }
        assertThat(ClassEntropy.expectedUniformBits(1, 1)).isZero();
        assertThatThrownBy(() -> ClassEntropy.expectedUniformBits(0, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}

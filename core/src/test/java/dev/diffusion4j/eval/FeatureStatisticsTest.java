package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sufficient statistics merged from parts are the moments of all the rows, whatever the parts. */
class FeatureStatisticsTest {
    /** Correlated rows far from zero, as a classifier's features are (a mean of several standard deviations). */
    private static double[][] rows(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] out = new double[n][d];
        for (double[] row : out) {
            double shared = r.nextDouble() * 2 - 1;
            for (int j = 0; j < d; j++) {
                row[j] = 4 + j % 3 + shared * (j + 1) / d + (r.nextDouble() - 0.5);
            }
        }
        return out;
    }

    @Test
    void mergedPartsGiveTheMomentsOfAllRows() {
        int d = 9;
        double[][] all = rows(1003, d, 7);
        FrechetDistance.Moments expected = FrechetDistance.Moments.of(all);
        // uneven parts, one of them empty, merged in an order other than the rows'
        int[] cuts = {0, 1, 500, 500, 777, 1003};
        FeatureStatistics merged = FeatureStatistics.empty(d);
        for (int k = cuts.length - 2; k >= 0; k--) {
            merged = merged.plus(FeatureStatistics.of(d, Arrays.copyOfRange(all, cuts[k], cuts[k + 1])));
        }
        assertThat(merged.count()).isEqualTo(1003);
        FrechetDistance.Moments got = merged.moments();
        assertThat(got.count()).isEqualTo(expected.count());
        for (int i = 0; i < d; i++) {
            assertThat(got.mean()[i]).isCloseTo(expected.mean()[i], within(1e-12 * Math.abs(expected.mean()[i])));
            for (int j = 0; j < d; j++) {
                assertThat(got.cov()[i][j]).as("cov[%d][%d]", i, j).isCloseTo(expected.cov()[i][j], within(1e-10 * expected.cov()[i][i]));
                assertThat(got.cov()[i][j]).isEqualTo(got.cov()[j][i]);
            }
        }
        FeatureStatistics whole = FeatureStatistics.of(d, all);
        double fidParts = FrechetDistance.of(merged.moments(), FrechetDistance.Moments.of(rows(400, d, 8)));
        double fidWhole = FrechetDistance.of(expected, FrechetDistance.Moments.of(rows(400, d, 8)));
        assertThat(fidParts).isCloseTo(fidWhole, within(1e-9 * fidWhole));
        assertThat(whole.plus(FeatureStatistics.empty(d))).isEqualTo(whole);
    }

    @Test
    void travelsByJavaSerializationAndRefusesMismatches() throws Exception {
        FeatureStatistics s = FeatureStatistics.of(3, rows(5, 3, 1));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(s);
        }
        assertThatThrownBy(() -> s.plus(FeatureStatistics.empty(4))).hasMessage("feature dimensions differ: 3 and 4");
        assertThatThrownBy(() -> FeatureStatistics.of(3, new double[][] {{1, 2}})).hasMessage("a feature row of 2 values, not 3");
        assertThatThrownBy(() -> FeatureStatistics.of(3, rows(1, 3, 2)).moments()).hasMessage("need at least 2 feature vectors, got 1");
    }
}

package dev.diffusion4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Fréchet distance against Gaussians whose distance has a closed form. */
class FrechetDistanceTest {
    /** A random orthogonal matrix (Gram-Schmidt on Gaussian columns). */
    static double[][] rotation(int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] q = new double[d][d];
        for (int j = 0; j < d; j++) {
            double[] col = new double[d];
            for (int i = 0; i < d; i++) {
                col[i] = r.nextDouble() * 2 - 1;
            }
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += col[i] * q[i][k];
                }
                for (int i = 0; i < d; i++) {
                    col[i] -= dot * q[i][k];
                }
            }
            double n = 0;
            for (double c : col) {
                n += c * c;
            }
            n = Math.sqrt(n);
            for (int i = 0; i < d; i++) {
                q[i][j] = col[i] / n;
            }
        }
        return q;
    }

    /** Q diag(λ) Qᵀ. */
    static double[][] withEigenvalues(double[][] q, double[] lambda) {
        int d = lambda.length;
        double[][] s = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) {
                    s[i][j] += q[i][k] * lambda[k] * q[j][k];
                }
            }
        }
        return s;
    }

    @Test
    void commutingCovariancesMatchTheClosedForm() {
        // Σ_1 and Σ_2 share eigenvectors: d² = ||Δμ||² + Σ_k (√a_k - √b_k)²
        int d = 24;
        double[][] q = rotation(d, 1);
        SplittableRandom r = new SplittableRandom(2);
        double[] a = new double[d];
        double[] b = new double[d];
        double[] mu1 = new double[d];
        double[] mu2 = new double[d];
        double want = 0;
        for (int k = 0; k < d; k++) {
            a[k] = 0.1 + 3 * r.nextDouble();
            b[k] = 0.1 + 3 * r.nextDouble();
            mu1[k] = r.nextDouble();
            mu2[k] = r.nextDouble() - 0.5;
            want += Math.pow(Math.sqrt(a[k]) - Math.sqrt(b[k]), 2) + Math.pow(mu1[k] - mu2[k], 2);
        }
        double got = FrechetDistance.of(mu1, withEigenvalues(q, a), mu2, withEigenvalues(q, b));
        assertThat(got).isCloseTo(want, within(1e-9 * (1 + want)));
    }

    @Test
    void nearlySingularCovariancesStayAccurate() {
        int d = 16;
        double[][] q = rotation(d, 3);
        double[] a = new double[d];
        double[] b = new double[d];
        double want = 0;
        for (int k = 0; k < d; k++) {
            a[k] = k < 10 ? 1e-14 : 2.0 + k;   // rank 6 up to round-off
            b[k] = k < 12 ? 0 : 1.0 + k / 2.0; // exactly rank 4
            want += Math.pow(Math.sqrt(a[k]) - Math.sqrt(b[k]), 2);
        }
        double[] zero = new double[d];
        double got = FrechetDistance.of(zero, withEigenvalues(q, a), zero, withEigenvalues(q, b));
        assertThat(got).isCloseTo(want, within(1e-6 * want));
    }

    @Test
    void generalCaseAgainstTheScalarFormulaAndSymmetry() {
        // one dimension: (μ1-μ2)² + (σ1 - σ2)²
        assertThat(FrechetDistance.of(new double[] {1}, new double[][] {{4}}, new double[] {-1}, new double[][] {{9}}))
                .isCloseTo(4 + 1, within(1e-12));
        // non-commuting covariances: the distance is symmetric and zero only for equal Gaussians
        int d = 10;
        double[][] s1 = withEigenvalues(rotation(d, 5), new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        double[][] s2 = withEigenvalues(rotation(d, 6), new double[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3});
        double[] mu = new double[d];
        double ab = FrechetDistance.of(mu, s1, mu, s2);
        double ba = FrechetDistance.of(mu, s2, mu, s1);
        assertThat(ab).isGreaterThan(0.1).isCloseTo(ba, within(1e-9 * ab));
        assertThat(FrechetDistance.of(mu, s1, mu, s1)).isCloseTo(0, within(1e-9));
        // and matches the definition through an independent route: tr sqrt(Σ1 Σ2) = Σ √λ(Σ1 Σ2), λ real ≥ 0
        double[][] prod = FrechetDistance.multiply(FrechetDistance.sqrtPsd(s1), FrechetDistance.sqrtPsd(s1));
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                assertThat(prod[i][j]).isCloseTo(s1[i][j], within(1e-9));
            }
        }
    }

    @Test
    void momentsOfSamples() {
        double[][] rows = {{1, 2}, {3, 2}, {5, 8}};
        FrechetDistance.Moments m = FrechetDistance.Moments.of(rows);
        assertThat(m.mean()).containsExactly(3, 4);
        assertThat(m.cov()[0][0]).isCloseTo(4, within(1e-12));
        assertThat(m.cov()[0][1]).isCloseTo(6, within(1e-12));
        assertThat(m.cov()[1][1]).isCloseTo(12, within(1e-12));
    }
}

package dev.diffusion4j.eval;

/**
 * The Fréchet distance between two Gaussians, the quantity behind FID:
 * d² = ||μ_1 - μ_2||² + tr(Σ_1) + tr(Σ_2) - 2 tr((Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}).
 *
 * <p>The trace of the matrix square root is taken through symmetric eigendecompositions (Jacobi
 * rotations, in double precision): Σ_1^{1/2} from Σ_1's eigenvalues clipped at zero, then the
 * eigenvalues of the symmetric positive semi-definite Σ_1^{1/2} Σ_2 Σ_1^{1/2}. Unlike the usual
 * sqrtm of the non-symmetric product Σ_1 Σ_2, this stays real and stable for nearly singular
 * covariances.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /** Mean and covariance of feature rows. */
    public record Moments(double[] mean, double[][] cov, int count) {
        /** The sample mean and the unbiased sample covariance of the rows (n ≥ 2). */
        public static Moments of(double[][] rows) {
            int n = rows.length;
            if (n < 2) {
                throw new IllegalArgumentException("need at least 2 feature vectors, got " + n);
            }
            int d = rows[0].length;
            double[] mean = new double[d];
            for (double[] r : rows) {
                for (int j = 0; j < d; j++) {
                    mean[j] += r[j] / n;
                }
            }
            double[][] cov = new double[d][d];
            for (double[] r : rows) {
                for (int i = 0; i < d; i++) {
                    double di = r[i] - mean[i];
                    for (int j = i; j < d; j++) {
                        cov[i][j] += di * (r[j] - mean[j]);
                    }
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    cov[i][j] /= n - 1;
                    cov[j][i] = cov[i][j];
                }
            }
            return new Moments(mean, cov, n);
        }
    }

    /** d² between the two Gaussians. */
    public static double of(Moments a, Moments b) {
        return of(a.mean(), a.cov(), b.mean(), b.cov());
    }

    /** d² between N(mu1, s1) and N(mu2, s2). */
    public static double of(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
        int d = mu1.length;
        if (mu2.length != d || s1.length != d || s2.length != d) {
            throw new IllegalArgumentException("dimensions differ: " + d + ", " + mu2.length + ", " + s1.length + ", " + s2.length);
        }
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
        }
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += s1[i][i] + s2[i][i];
        }
        double[][] root1 = sqrtPsd(s1);
        double[][] m = multiply(multiply(root1, s2), root1);
        symmetrize(m);
        double[] ev = Eigen.symmetric(m).values();
        double traceRoot = 0;
        for (double v : ev) {
            traceRoot += Math.sqrt(Math.max(v, 0));
        }
        return Math.max(0, meanTerm + trace - 2 * traceRoot);
    }

    /** The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped). */
    static double[][] sqrtPsd(double[][] s) {
        double[][] c = copy(s);
        symmetrize(c);
        Eigen e = Eigen.symmetric(c);
        int d = s.length;
        double[][] out = new double[d][d];
        for (int k = 0; k < d; k++) {
            double r = Math.sqrt(Math.max(e.values()[k], 0));
            if (r == 0) {
                continue;
            }
            for (int i = 0; i < d; i++) {
                double vik = e.vectors()[i][k] * r;
                for (int j = 0; j < d; j++) {
                    out[i][j] += vik * e.vectors()[j][k];
                }
            }
        }
        return out;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int m = b[0].length;
        int k = b.length;
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < k; p++) {
                double aip = a[i][p];
                if (aip == 0) {
                    continue;
                }
                for (int j = 0; j < m; j++) {
                    out[i][j] += aip * b[p][j];
                }
            }
        }
        return out;
    }

    private static void symmetrize(double[][] m) {
        for (int i = 0; i < m.length; i++) {
            for (int j = i + 1; j < m.length; j++) {
                double v = 0.5 * (m[i][j] + m[j][i]);
                m[i][j] = v;
                m[j][i] = v;
            }
        }
    }

    private static double[][] copy(double[][] s) {
        double[][] c = new double[s.length][];
        for (int i = 0; i < s.length; i++) {
            c[i] = s[i].clone();
        }
        return c;
    }
}

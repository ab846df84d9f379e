package dev.diffusion4j.eval;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Sufficient statistics of feature rows, in double precision: how many, their sum and the sum of their outer products.
 * The statistics of disjoint parts of a set add up to those of the whole ({@link #plus}), so features computed in
 * pieces (on several threads, processes or machines, in any order) give the mean and covariance of all the rows:
 * {@code of(a).plus(of(b)).moments()} is {@code Moments.of(a and b)} up to rounding. Instances are immutable and
 * serializable, to travel between machines.
 */
public final class FeatureStatistics implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dimension;
    private final long count;
    private final double[] sum;
    /** The upper triangle of the sum of outer products, row by row: (0,0), (0,1) .. (0,d-1), (1,1) .. */
    private final double[] products;

    private FeatureStatistics(int dimension, long count, double[] sum, double[] products) {
        this.dimension = dimension;
        this.count = count;
        this.sum = sum;
        this.products = products;
    }

    /**
     * No rows yet, of {@code dimension} features.
     *
     * @throws IllegalArgumentException for a dimension below 1
     */
    public static FeatureStatistics empty(int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("feature dimension must be at least 1, got " + dimension);
        }
        return new FeatureStatistics(dimension, 0, new double[dimension], new double[dimension * (dimension + 1) / 2]);
    }

    /**
     * The statistics of these rows, each of {@code dimension} features.
     *
     * @throws IllegalArgumentException when a row has another length
     */
    public static FeatureStatistics of(int dimension, double[][] rows) {
        FeatureStatistics s = empty(dimension);
        double[] sum = s.sum;
        double[] products = s.products;
        for (double[] r : rows) {
            if (r.length != dimension) {
                throw new IllegalArgumentException("a feature row of " + r.length + " values, not " + dimension);
            }
            int k = 0;
            for (int i = 0; i < dimension; i++) {
                double ri = r[i];
                sum[i] += ri;
                for (int j = i; j < dimension; j++) {
                    products[k++] += ri * r[j];
                }
            }
        }
        return new FeatureStatistics(dimension, rows.length, sum, products);
    }

    /**
     * The statistics of both sets of rows together.
     *
     * @throws IllegalArgumentException when the dimensions differ
     */
    public FeatureStatistics plus(FeatureStatistics other) {
        if (other.dimension != dimension) {
            throw new IllegalArgumentException("feature dimensions differ: " + dimension + " and " + other.dimension);
        }
        double[] s = sum.clone();
        double[] p = products.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += other.sum[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] += other.products[i];
        }
        return new FeatureStatistics(dimension, count + other.count, s, p);
    }

    /** How many rows. */
    public long count() {
        return count;
    }

    /** Features per row. */
    public int dimension() {
        return dimension;
    }

    /** The sum of the rows (a copy). */
    public double[] sum() {
        return sum.clone();
    }

    /**
     * The mean and the unbiased covariance of the rows, as {@link FrechetDistance.Moments#of} gives them.
     *
     * @throws IllegalArgumentException for fewer than 2 rows
     */
    public FrechetDistance.Moments moments() {
        if (count < 2 || count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("need at least 2 feature vectors, got " + count);
        }
        int d = dimension;
        double n = count;
        double[] mean = new double[d];
        for (int i = 0; i < d; i++) {
            mean[i] = sum[i] / n;
        }
        double[][] cov = new double[d][d];
        int k = 0;
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                double c = (products[k++] - sum[i] * mean[j]) / (n - 1);
                cov[i][j] = c;
                cov[j][i] = c;
            }
        }
        return new FrechetDistance.Moments(mean, cov, (int) count);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureStatistics f && f.dimension == dimension && f.count == count && Arrays.equals(f.sum, sum)
                && Arrays.equals(f.products, products);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(count) + Arrays.hashCode(sum);
    }

    @Override
    public String toString() {
        return "FeatureStatistics[" + count + " rows of " + dimension + "]";
    }
}

package dev.diffusion4j.schedule;

import java.util.Arrays;

/**
 * Every per-timestep quantity of the derivation, in double precision, for t = 0..T (the derivation's
 * indexing: t = 1 is the first noising step; t = 0 is the data itself, where only ᾱ_0 = 1 is
 * defined and the other tables hold NaN).
 *
 * <p>Immutable. 1 - ᾱ_t is accumulated as (1 - ᾱ_{t-1}) + ᾱ_{t-1} β_t, a sum of positive terms,
 * so that it keeps full relative precision where ᾱ_t is close to 1.
 */
public final class NoiseSchedule {
    private final String name;
    private final int steps;
    private final double[] beta;
    private final double[] alpha;
    private final double[] alphaBar;
    private final double[] oneMinusAlphaBar;
    private final double[] posteriorVariance;
    private final double[] posteriorVarianceClipped;
    private final double[] posteriorMeanCoef1;
    private final double[] posteriorMeanCoef2;

    private NoiseSchedule(String name, double[] betas) {
        this.name = name;
        this.steps = betas.length;
        int n = steps + 1;
        beta = nanArray(n);
        alpha = nanArray(n);
        alphaBar = nanArray(n);
        oneMinusAlphaBar = nanArray(n);
        posteriorVariance = nanArray(n);
        posteriorVarianceClipped = nanArray(n);
        posteriorMeanCoef1 = nanArray(n);
        posteriorMeanCoef2 = nanArray(n);
        alphaBar[0] = 1;
        oneMinusAlphaBar[0] = 0;
        for (int t = 1; t <= steps; t++) {
            double b = betas[t - 1];
            beta[t] = b;
            alpha[t] = 1 - b;
            alphaBar[t] = alphaBar[t - 1] * alpha[t];
            oneMinusAlphaBar[t] = oneMinusAlphaBar[t - 1] + alphaBar[t - 1] * b;
            posteriorVariance[t] = b * oneMinusAlphaBar[t - 1] / oneMinusAlphaBar[t];
            posteriorMeanCoef1[t] = b * Math.sqrt(alphaBar[t - 1]) / oneMinusAlphaBar[t];
            posteriorMeanCoef2[t] = oneMinusAlphaBar[t - 1] * Math.sqrt(alpha[t]) / oneMinusAlphaBar[t];
        }
        for (int t = 1; t <= steps; t++) {
            posteriorVarianceClipped[t] = t > 1 ? posteriorVariance[t] : steps > 1 ? posteriorVariance[2] : beta[1];
        }
    }

    /**
     * Builds the tables from a schedule.
     *
     * @throws IllegalArgumentException if T &lt; 1 or some β is not finite or not in (0, 1)
     */
    public static NoiseSchedule of(BetaSchedule schedule, int steps) {
        return ofBetas(schedule.name(), schedule.betas(steps));
    }

    /**
     * Builds the tables from β_1..β_T (index t - 1).
     *
     * @throws IllegalArgumentException if T &lt; 1 or some β is not finite or not in (0, 1)
     */
    public static NoiseSchedule ofBetas(String name, double[] betas) {
        if (betas.length < 1) {
            throw new IllegalArgumentException("the number of diffusion steps T must be at least 1, got 0");
        }
        for (int i = 0; i < betas.length; i++) {
            double b = betas[i];
            if (!(b > 0 && b < 1)) {
                throw new IllegalArgumentException(
                        name + ": beta at t = " + (i + 1) + " must be finite and in (0, 1), got " + b);
            }
        }
        return new NoiseSchedule(name, betas.clone());
    }

    private static double[] nanArray(int n) {
        double[] a = new double[n];
        Arrays.fill(a, Double.NaN);
        return a;
    }

    private void check(int t) {
        if (t < 1 || t > steps) {
            throw new IndexOutOfBoundsException("timestep " + t + " is outside 1.." + steps);
        }
    }

    /** The schedule's name. */
    public String name() {
        return name;
    }

    /** T, the number of diffusion steps. */
    public int steps() {
        return steps;
    }

    /** β_t, the variance of the forward step (1). */
    public double beta(int t) {
        check(t);
        return beta[t];
    }

    /** α_t = 1 - β_t (3). */
    public double alpha(int t) {
        check(t);
        return alpha[t];
    }

    /** ᾱ_t = Π_{s ≤ t} α_s (3); ᾱ_0 = 1. */
    public double alphaBar(int t) {
        if (t != 0) {
            check(t);
        }
        return alphaBar[t];
    }

    /** ᾱ_{t-1}. */
    public double alphaBarPrev(int t) {
        check(t);
        return alphaBar[t - 1];
    }

    /** 1 - ᾱ_t, the variance of q(x_t | x_0) (4), accumulated without cancellation. */
    public double oneMinusAlphaBar(int t) {
        if (t != 0) {
            check(t);
        }
        return oneMinusAlphaBar[t];
    }

    /** √ᾱ_t, the mean coefficient of q(x_t | x_0) (4). */
    public double sqrtAlphaBar(int t) {
        return Math.sqrt(alphaBar(t));
    }

    /** √(1 - ᾱ_t), the standard deviation of q(x_t | x_0) (4). */
    public double sqrtOneMinusAlphaBar(int t) {
        return Math.sqrt(oneMinusAlphaBar(t));
    }

    /** β̃_t = (1 - ᾱ_{t-1}) β_t / (1 - ᾱ_t), the variance of the posterior (11)(13); β̃_1 = 0. */
    public double posteriorVariance(int t) {
        check(t);
        return posteriorVariance[t];
    }

    /**
     * β̃_t with the t = 1 value replaced by β̃_2 (β_1 when T = 1), so that its logarithm is finite;
     * improved-diffusion clips the same way. This is σ_t² for the "fixed small" reverse variance.
     */
    public double posteriorVarianceClipped(int t) {
        check(t);
        return posteriorVarianceClipped[t];
    }

    /** log of {@link #posteriorVarianceClipped(int)}. */
    public double posteriorLogVarianceClipped(int t) {
        return Math.log(posteriorVarianceClipped(t));
    }

    /** The coefficient of x_0 in the posterior mean (11): √ᾱ_{t-1} β_t / (1 - ᾱ_t). */
    public double posteriorMeanCoef1(int t) {
        check(t);
        return posteriorMeanCoef1[t];
    }

    /** The coefficient of x_t in the posterior mean (11): √α_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t). */
    public double posteriorMeanCoef2(int t) {
        check(t);
        return posteriorMeanCoef2[t];
    }

    /** Signal-to-noise ratio of q(x_t | x_0): ᾱ_t / (1 - ᾱ_t). */
    public double snr(int t) {
        check(t);
        return alphaBar[t] / oneMinusAlphaBar[t];
    }

    /**
     * σ_t² = β_t, the "fixed large" reverse variance, with the t = 1 value replaced by β̃_2 (β_1 when
     * T = 1) as improved-diffusion does, which gives the decoder L_0 a better log-likelihood.
     */
    public double fixedLargeVariance(int t) {
        check(t);
        return t == 1 && steps > 1 ? posteriorVariance[2] : beta[t];
    }

    /**
     * The weight of ||ε - ε_θ||² in (24) for a given reverse variance σ_t²: β_t² / (2 σ_t² α_t (1 -
     * ᾱ_t)). With it, the KL term L_{t-1} of (17) equals weight · ||ε - ε_θ||² plus a constant.
     */
    public double epsilonLossWeight(int t, double sigmaSquared) {
        check(t);
        return beta[t] * beta[t] / (2 * sigmaSquared * alpha[t] * oneMinusAlphaBar[t]);
    }

    /** The weight of (24) for σ_t² = β̃_t ({@link #posteriorVarianceClipped(int)} at t = 1). */
    public double lossWeight(int t) {
        return epsilonLossWeight(t, posteriorVarianceClipped(t));
    }

    /** √(1/ᾱ_t), used to recover x_0 from ε (12). */
    public double sqrtRecipAlphaBar(int t) {
        check(t);
        return Math.sqrt(1 / alphaBar[t]);
    }

    /** √(1/ᾱ_t - 1) = √(1 - ᾱ_t) / √ᾱ_t, used to recover x_0 from ε (12). */
    public double sqrtRecipM1AlphaBar(int t) {
        check(t);
        return Math.sqrt(oneMinusAlphaBar[t] / alphaBar[t]);
    }

    /** One row of the table, as the {@code schedule} command writes it. */
    public ScheduleRow row(int t) {
        return new ScheduleRow(
                t,
                beta(t),
                alpha(t),
                alphaBar(t),
                alphaBarPrev(t),
                sqrtAlphaBar(t),
                sqrtOneMinusAlphaBar(t),
                posteriorVariance(t),
                posteriorLogVarianceClipped(t),
                posteriorMeanCoef1(t),
                posteriorMeanCoef2(t),
                snr(t),
                lossWeight(t));
    }

    /** β_1..β_T, index t - 1. */
    public double[] betas() {
        return Arrays.copyOfRange(beta, 1, steps + 1);
    }
}

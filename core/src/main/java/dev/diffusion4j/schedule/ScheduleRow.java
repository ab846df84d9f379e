package dev.diffusion4j.schedule;

import java.util.List;

/** The per-timestep quantities of one t, in the column order of the {@code schedule} command's CSV. */
public record ScheduleRow(
        int t,
        double beta,
        double alpha,
        double alphaBar,
        double alphaBarPrev,
        double sqrtAlphaBar,
        double sqrtOneMinusAlphaBar,
        double posteriorVariance,
        double posteriorLogVarianceClipped,
        double posteriorMeanCoef1,
        double posteriorMeanCoef2,
        double snr,
        double lossWeight) {

    /** The CSV header, one name per component after {@code t}. */
    public static final List<String> COLUMNS = List.of(
            "t",
            "beta",
            "alpha",
            "alpha_bar",
            "alpha_bar_prev",
            "sqrt_alpha_bar",
            "sqrt_one_minus_alpha_bar",
            "posterior_variance",
            "posterior_log_variance_clipped",
            "posterior_mean_coef1",
            "posterior_mean_coef2",
            "snr",
            "loss_weight");

    /** The values after {@code t}, in {@link #COLUMNS} order. */
    public double[] values() {
        return new double[] {
            beta, alpha, alphaBar, alphaBarPrev, sqrtAlphaBar, sqrtOneMinusAlphaBar, posteriorVariance,
            posteriorLogVarianceClipped, posteriorMeanCoef1, posteriorMeanCoef2, snr, lossWeight
        };
    }
}

package dev.diffusion4j.diffusion;

import dev.diffusion4j.schedule.NoiseSchedule;

/** The fixed reverse variance Σ_θ = σ_t² I of (20); the paper found both choices alike. */
public enum VarianceType {
    /** σ_t² = β_t (β̃_2 at t = 1, see {@link NoiseSchedule#fixedLargeVariance(int)}). */
    FIXED_LARGE,
    /** σ_t² = β̃_t of (13) (β̃_2 at t = 1, see {@link NoiseSchedule#posteriorVarianceClipped(int)}). */
    FIXED_SMALL;

    /** σ_t² under this choice. */
    public double variance(NoiseSchedule s, int t) {
        return this == FIXED_LARGE ? s.fixedLargeVariance(t) : s.posteriorVarianceClipped(t);
    }
}

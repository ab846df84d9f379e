package dev.diffusion4j.diffusion;

/** The training objective. */
public enum LossType {
    /** L_simple (25): ||ε - ε_θ||², or the same squared error on x_0 or v for those predictions. */
    SIMPLE,
    /** The ε-weighted loss (24), equal to the KL terms L_{t-1} of the bound up to a constant. */
    WEIGHTED,
    /**
     * Min-SNR-γ (Hang et al., 2023): the squared error of the prediction weighted so that, in x_0
     * terms, it is min(SNR_t, γ) · ||x_0 - x̂_0||²: timesteps with little noise stop dominating.
     */
    MIN_SNR
}

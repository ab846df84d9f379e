package dev.diffusion4j.diffusion;

/** The training objective. */
public enum LossType {
    /** L_simple (25): ||ε - ε_θ||², or the same squared error on x_0 or v for those predictions. */
    SIMPLE,
    /** The ε-weighted loss (24), equal to the KL terms L_{t-1} of the bound up to a constant. */
    WEIGHTED
}

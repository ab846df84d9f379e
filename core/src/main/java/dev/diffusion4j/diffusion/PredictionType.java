package dev.diffusion4j.diffusion;

/** What the network ε_θ(x_t, t) outputs. */
public enum PredictionType {
    /** The noise ε of (4): the paper's parameterisation (13)(23). */
    EPSILON,
    /** The clean sample x_0 directly. */
    SAMPLE,
    /** v = √ᾱ_t ε - √(1 - ᾱ_t) x_0 (Salimans and Ho, 2022). */
    V
}

package dev.diffusion4j.api;

/** Which of a checkpoint's weights to sample with: {@code DiffusionModel.open(source, Weights.RAW)}. */
public enum Weights {
    /** The exponential moving average of the weights, as the paper samples (the default; a built-in model has only these). */
    EMA,
    /** The optimiser's weights at the checkpoint's step. */
    RAW
}

package dev.diffusion4j.train;

/**
 * What one optimiser step measured.
 *
 * @param step the step number (1-based)
 * @param loss the mean training loss of the batch
 * @param lossPerItem each batch item's loss
 * @param timesteps each batch item's t
 * @param gradNorm the global gradient norm before clipping
 * @param lr the learning rate used
 */
public record StepStats(long step, double loss, float[] lossPerItem, long[] timesteps, double gradNorm, double lr) {}

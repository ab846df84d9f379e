package dev.diffusion4j.api;

/**
 * One row of {@code metrics.csv}, as {@link TrainListener#onLog} hears it.
 *
 * @param step the last step of the window
 * @param toStep the step the run ends at
 * @param loss the window's mean training loss
 * @param imagesPerSecond training throughput over the window (time spent on previews and checkpoints excluded)
 */
public record TrainLog(long step, long toStep, double loss, double imagesPerSecond) {}

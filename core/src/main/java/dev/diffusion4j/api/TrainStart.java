package dev.diffusion4j.api;

import dev.diffusion4j.train.TrainConfig;
import java.nio.file.Path;

/**
 * A run about to take its first step, as {@link TrainListener#onStart} hears it.
 *
 * @param fromStep the steps already taken (0 for a fresh run)
 * @param toStep the step it ends at ({@code training.steps})
 * @param dataName the data set, e.g. its files' path
 * @param images the training images (for sound: clips)
 * @param parameters the network's parameter count
 * @param config the resolved configuration
 * @param runDirectory where it writes
 */
public record TrainStart(long fromStep, long toStep, String dataName, int images, long parameters, TrainConfig config, Path runDirectory) {}

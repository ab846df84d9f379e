package dev.diffusion4j.api;

import java.nio.file.Path;

/**
 * A finished run: {@code DiffusionModel.open(ModelSource.runDirectory(result.runDirectory()))} samples from it.
 *
 * @param runDirectory the run directory
 * @param step the steps it has taken
 * @param checkpoint the last checkpoint's directory
 */
public record TrainResult(Path runDirectory, long step, Path checkpoint) {}

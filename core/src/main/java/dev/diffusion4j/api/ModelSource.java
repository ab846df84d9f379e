package dev.diffusion4j.api;

import dev.diffusion4j.train.Builtins;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a model comes from: a model built into the jar, a run directory (its newest checkpoint) or one checkpoint
 * directory. {@code DiffusionModel.open(ModelSource.builtin("mnist"))}.
 *
 * @param path the path {@code Checkpoint.open} reads ({@code builtin:NAME} for a built-in model)
 */
public record ModelSource(Path path) {
    /**
     * Creates a model source.
     *
     * @param path the path {@code Checkpoint.open} reads
     * @throws NullPointerException if {@code path} is null
     */
    public ModelSource {
        Objects.requireNonNull(path, "path");
    }

    /**
     * A model packed into the jar, e.g. {@code builtin("mnist")}.
     *
     * @param name the built-in model's name
     * @return the built-in model's source
     */
    public static ModelSource builtin(String name) {
        return new ModelSource(Path.of(Builtins.PREFIX + Objects.requireNonNull(name, "name")));
    }

    /**
     * A run directory written by {@code train}: its newest checkpoint.
     *
     * @param dir the run directory
     * @return the run directory's source
     */
    public static ModelSource runDirectory(Path dir) {
        return new ModelSource(dir);
    }

    /**
     * One checkpoint directory ({@code RUN/checkpoints/step-NNNNNNNNN}).
     *
     * @param dir the checkpoint directory
     * @return the checkpoint's source
     */
    public static ModelSource checkpoint(Path dir) {
        return new ModelSource(dir);
    }
}

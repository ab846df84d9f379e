package dev.diffusion4j.cli;

import dev.diffusion4j.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;

/** Opening a checkpoint named on the command line, with a one-line error when it cannot be. */
final class Checkpoints {
    private Checkpoints() {}

    /** The checkpoint (a run directory's newest, or the directory itself). */
    static Checkpoint open(Path path) {
        try {
            return Checkpoint.open(path);
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }
}

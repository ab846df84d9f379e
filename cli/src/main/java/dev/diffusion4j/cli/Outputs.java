package dev.diffusion4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks made on output paths before any work, so that a bad path fails fast and writes nothing. */
final class Outputs {
    private Outputs() {}

    private static final boolean TERMINAL = System.console() != null;

    /** A progress line that overwrites itself, shown only on a terminal (logs stay clean). */
    static void progress(java.io.PrintWriter err, String text) {
        if (TERMINAL) {
            err.print("\r" + text);
            err.flush();
        }
    }

    /** Ends a progress line. */
    static void progressDone(java.io.PrintWriter err) {
        if (TERMINAL) {
            err.println();
        }
    }

    /**
     * @throws UserInputException when the file's directory is missing or not writable, or the file
     *     exists and is not a regular file (a directory, device, FIFO or socket is never replaced)
     */
    static void requireWritableParent(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UserInputException(file + ": the directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UserInputException(file + ": the directory " + dir + " is not writable");
        }
        if (Files.isDirectory(file)) {
            throw new UserInputException(file + ": is a directory");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new UserInputException(file + ": exists and is not a regular file (a device, FIFO or socket); refusing to replace it");
        }
    }

    /**
     * @throws UserInputException when {@code dir} exists and is not a writable directory, or does not
     *     exist and cannot be created in its parent
     */
    static void requireWritableDirectory(Path dir) {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new UserInputException(dir + ": not a directory");
            }
            if (!Files.isWritable(dir)) {
                throw new UserInputException(dir + ": the directory is not writable");
            }
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new UserInputException(dir + ": cannot be created (" + parent + " is not a writable directory)");
        }
    }
}

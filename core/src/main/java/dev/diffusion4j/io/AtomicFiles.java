package dev.diffusion4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes a file so that a reader sees either the old file or the whole new one, never a part. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** What writes the content. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes to a temporary file beside {@code target}, then renames it over {@code target}.
     *
     * @throws IOException naming {@code target} when its directory is missing or not writable, or when
     *     {@code target} exists and is not a regular file
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException(target + ": the directory " + dir + " does not exist");
        }
        if (Files.exists(abs) && !Files.isRegularFile(abs)) {
            // renaming over a device, FIFO or socket would replace it (as root, even /dev/null)
            throw new IOException(target + ": exists and is not a regular file; refusing to replace it");
        }
        // not Files.createTempFile: its owner-only permissions would stay on the final file
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        } catch (IOException e) {
            throw new IOException(target + ": cannot write in " + dir + " (" + e.getClass().getSimpleName() + ")", e);
        }
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.write(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            if (e instanceof IOException io && !io.getMessage().startsWith(target.toString())) {
                throw new IOException(target + ": " + io.getMessage(), io);
            }
            throw e;
        }
    }
}

package dev.diffusion4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
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
        write(target, writer, false);
    }

    /**
     * {@link #write(Path, Writer)}, and durable: the temporary file's content is forced to the storage device before the
     * rename, and the directory after it, so that once this returns the new file survives a crash of the machine, and a
     * file found under {@code target}'s name is always whole.
     *
     * @throws IOException as {@link #write(Path, Writer)} does, or when the content cannot be forced
     */
    public static void writeDurably(Path target, Writer writer) throws IOException {
        write(target, writer, true);
    }

    private static void write(Path target, Writer writer, boolean durable) throws IOException {
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
            if (durable) {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                    writer.write(out);
                    out.flush();
                    ch.force(true);
                }
            } else {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    writer.write(out);
                }
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            if (durable) {
                forceDirectory(dir);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            if (e instanceof IOException io && !io.getMessage().startsWith(target.toString())) {
                throw new IOException(target + ": " + io.getMessage(), io);
            }
            throw e;
        }
    }

    /** Forces a directory's entries to the device, where the platform can (Linux and macOS can; Windows cannot open one). */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // the rename is done; a platform that cannot sync a directory keeps it as its own file system does
        }
    }
}

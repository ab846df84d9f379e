package dev.diffusion4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the (N, C, H, W) uint8 {@code .npy} files that {@link ImageFiles#writeNpy} writes: whole ({@link #read}), or
 * the shape alone and a range of rows, reading only those bytes ({@link #shape}, {@link #rows}).
 */
public final class Npy {
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+),\\s*(\\d+),\\s*(\\d+),?\\)");
    /** The longest preamble: magic, version and a 4-byte header length. */
    private static final int PREAMBLE = 12;

    private Npy() {}

    /** The array: its 4 dimensions and its bytes. */
    public record Uint8(int[] shape, byte[] data) {}

    /** A checked header: the shape and where the data start. */
    private record Header(int[] shape, int dataStart) {
        long rowBytes() {
            return (long) shape[1] * shape[2] * shape[3];
        }
    }

    /** Reads and validates an (N, C, H, W) uint8 array. */
    public static Uint8 read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
        Header h = header(file, all, all.length);
        byte[] data = java.util.Arrays.copyOfRange(all, h.dataStart(), all.length);
        return new Uint8(h.shape(), data);
    }

    /**
     * The shape of an (N, C, H, W) uint8 array, from its header alone; the file's length is checked against it.
     *
     * @throws IOException naming the file and what is wrong, as {@link #read} does
     */
    public static int[] shape(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return header(file, ch).shape();
        }
    }

    /**
     * Rows {@code from} to {@code to - 1} of an (N, C, H, W) uint8 array (C x H x W bytes each), reading only those.
     *
     * @throws IOException naming the file and what is wrong, as {@link #read} does, or the rows it lacks
     */
    public static byte[] rows(Path file, int from, int to) throws IOException {
        try (FileChannel ch = open(file)) {
            Header h = header(file, ch);
            if (from < 0 || to < from || to > h.shape()[0]) {
                throw new IOException(file + ": rows " + from + " to " + to + " asked for, it has " + h.shape()[0]);
            }
            long length = (to - from) * h.rowBytes();
            if (length > Integer.MAX_VALUE - 8) {
                throw new IOException(file + ": rows " + from + " to " + to + " are more than 2 GB");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) length);
            long at = h.dataStart() + from * h.rowBytes();
            while (buf.hasRemaining()) {
                int n = ch.read(buf, at + buf.position());
                if (n < 0) {
                    throw new IOException(file + ": ends before row " + to);
                }
            }
            return buf.array();
        }
    }

    private static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
    }

    /** The header read from the channel's start; the file's length is the channel's size. */
    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, PREAMBLE));
        readFully(ch, pre, 0);
        byte[] head = pre.array();
        int wanted = headerEnd(head);
        if (wanted > head.length && wanted <= size) {
            ByteBuffer all = ByteBuffer.allocate(wanted);
            readFully(ch, all, 0);
            head = all.array();
        }
        return header(file, head, size);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, at + buf.position()) < 0) {
                break;
            }
        }
    }

    /** Where the header of a file starting with {@code head} ends, or {@code head.length} when that cannot be told yet. */
    private static int headerEnd(byte[] head) {
        if (head.length < 12) {
            return head.length;
        }
        int major = head[6];
        if (major == 1) {
            return 10 + ((head[8] & 0xff) | ((head[9] & 0xff) << 8));
        }
        if (major == 2 || major == 3) {
            long len = (head[8] & 0xffL) | ((head[9] & 0xffL) << 8) | ((head[10] & 0xffL) << 16) | ((head[11] & 0xffL) << 24);
            return len > Integer.MAX_VALUE - 12 ? head.length : 12 + (int) len;
        }
        return head.length;
    }

    /** Checks the header in {@code head} (the file's first bytes, its whole header if it has one) for a file of {@code size} bytes. */
    private static Header header(Path file, byte[] head, long size) throws IOException {
        if (head.length < 10 || (head[0] & 0xff) != 0x93 || !new String(head, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + ": not a .npy file");
        }
        int major = head[6];
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = (head[8] & 0xff) | ((head[9] & 0xff) << 8);
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = head.length < 12 ? -1
                    : (head[8] & 0xff) | ((head[9] & 0xff) << 8) | ((head[10] & 0xff) << 16) | ((head[11] & 0xff) << 24);
            start = 12;
        } else {
            throw new IOException(file + ": .npy version " + major + " is not supported");
        }
        if (headerLen < 0 || start + headerLen > head.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(head, start, headerLen, StandardCharsets.US_ASCII);
        if (!header.contains("'descr': '|u1'") && !header.contains("'descr': '<u1'")) {
            throw new IOException(file + ": expected uint8 data ('|u1'), header " + header.trim());
        }
        if (header.contains("'fortran_order': True")) {
            throw new IOException(file + ": Fortran-ordered arrays are not supported");
        }
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": expected a 4-dimensional (N, C, H, W) shape, header " + header.trim());
        }
        int[] shape = new int[4];
        long total = 1;
        for (int i = 0; i < 4; i++) {
            shape[i] = Integer.parseInt(m.group(i + 1));
            total *= shape[i];
        }
        int dataStart = start + headerLen;
        if (size - dataStart != total) {
            throw new IOException(file + ": " + (size - dataStart) + " data bytes for shape " + java.util.Arrays.toString(shape));
        }
        return new Header(shape, dataStart);
    }
}

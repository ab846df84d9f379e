package dev.diffusion4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * MNIST's IDX format (also Fashion-MNIST and EMNIST): a big-endian header {0, 0, type, dims}, one
 * 32-bit size per dimension, then the data. Read gzipped or raw; everything is validated before
 * the data is trusted.
 */
public final class Idx {
    /** No dimension or total may exceed this: a header that claims more is corrupt. */
    static final long MAX_BYTES = 1L << 31;

    private Idx() {}

    /** An unsigned-byte IDX array. */
    public record Array(int[] dims, byte[] data) {}

    /** Reads an unsigned-byte IDX file with the given number of dimensions. */
    public static Array read(Path file, int expectedDims) {
        try (InputStream raw = Files.newInputStream(file)) {
            return read(file.toString(), raw, expectedDims);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Reads an IDX resource from the class path. */
    public static Array readResource(String resource, int expectedDims) {
        try (InputStream raw = Idx.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new DataException(resource + ": missing from the class path");
            }
            return read(resource, raw, expectedDims);
        } catch (IOException e) {
            throw new DataException(resource + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Reads an unsigned-byte IDX stream, gzipped or raw; {@code file} names it in messages. */
    public static Array read(String file, InputStream raw, int expectedDims) {
        try {
            InputStream in = new BufferedInputStream(raw, 1 << 16);
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            }
            return parse(file, in, expectedDims);
        } catch (EOFException e) {
            throw new DataException(file + ": truncated (the data ends before the size its header gives)");
        } catch (ZipException e) {
            throw new DataException(file + ": corrupt gzip data (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    static Array parse(String file, InputStream in, int expectedDims) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new DataException(file + ": too short for an IDX header");
        }
        if (head[0] != 0 || head[1] != 0) {
            throw new DataException(file + ": not an IDX file (bad magic number)");
        }
        if (head[2] != 0x08) {
            throw new DataException(file + ": IDX type 0x" + Integer.toHexString(head[2] & 0xff) + " is not unsigned bytes");
        }
        int nd = head[3];
        if (nd != expectedDims) {
            throw new DataException(file + ": " + nd + " dimensions, expected " + expectedDims);
        }
        int[] dims = new int[nd];
        long total = 1;
        for (int i = 0; i < nd; i++) {
            byte[] d = in.readNBytes(4);
            if (d.length < 4) {
                throw new DataException(file + ": truncated header");
            }
            long v = ((d[0] & 0xffL) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
            if (v < 1 || v > MAX_BYTES) {
                throw new DataException(file + ": dimension " + i + " has size " + v);
            }
            dims[i] = (int) v;
            total *= v;
            if (total > MAX_BYTES) {
                throw new DataException(file + ": the header claims more than " + MAX_BYTES + " bytes");
            }
        }
        byte[] data = new byte[(int) total];
        int got = in.readNBytes(data, 0, data.length);
        if (got < data.length) {
            throw new DataException(file + ": truncated: " + got + " data bytes, the header gives " + total);
        }
        if (in.read() != -1) {
            throw new DataException(file + ": longer than its header gives (" + total + " data bytes)");
        }
        return new Array(dims, data);
    }
}

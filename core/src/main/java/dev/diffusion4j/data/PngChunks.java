package dev.diffusion4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * Checks a PNG file's structure before it is decoded: the signature, then each chunk's length and,
 * for the critical chunks (IHDR, PLTE, IDAT, IEND), its CRC-32 over type and data, which Java's
 * decoder does not verify. A file that fails is refused naming the file and the chunk.
 */
final class PngChunks {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngChunks() {}

    /** Whether the file starts with the PNG signature. */
    static boolean isPng(byte[] head) {
        if (head.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (head[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * @throws DataException naming the file and the first chunk that is cut short or whose CRC is wrong
     */
    static void verify(Path file) {
        byte[] b;
        try (InputStream in = Files.newInputStream(file)) {
            b = in.readAllBytes();
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
        int pos = SIGNATURE.length;
        boolean end = false;
        while (!end) {
            if (pos + 8 > b.length) {
                throw new DataException(file + ": PNG is truncated (no IEND chunk)");
            }
            long length = readInt(b, pos) & 0xffffffffL;
            String type = new String(b, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (length > b.length - pos - 12L) {
                throw new DataException(file + ": PNG is truncated inside chunk " + type);
            }
            if (Character.isUpperCase(type.charAt(0))) {
                CRC32 crc = new CRC32();
                crc.update(b, pos + 4, 4 + (int) length);
                long stored = readInt(b, pos + 8 + (int) length) & 0xffffffffL;
                if (crc.getValue() != stored) {
                    throw new DataException(String.format("%s: PNG chunk %s at byte %d has a wrong CRC (stored %08x, computed %08x)",
                            file, type, pos, stored, crc.getValue()));
                }
            }
            end = type.equals("IEND");
            pos += 12 + (int) length;
        }
    }

    private static int readInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}

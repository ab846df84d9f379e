package dev.diffusion4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the (N, C, H, W) uint8 {@code .npy} files that {@link ImageFiles#writeNpy} writes. */
public final class Npy {
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+),\\s*(\\d+),\\s*(\\d+),?\\)");

    private Npy() {}

    /** The array: its 4 dimensions and its bytes. */
    public record Uint8(int[] shape, byte[] data) {}

    /** Reads and validates an (N, C, H, W) uint8 array. */
    public static Uint8 read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
        if (all.length < 10 || (all[0] & 0xff) != 0x93 || !new String(all, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + ": not a .npy file");
        }
        int major = all[6];
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = (all[8] & 0xff) | ((all[9] & 0xff) << 8);
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = (all[8] & 0xff) | ((all[9] & 0xff) << 8) | ((all[10] & 0xff) << 16) | ((all[11] & 0xff) << 24);
            start = 12;
        } else {
            throw new IOException(file + ": .npy version " + major + " is not supported");
        }
        if (headerLen < 0 || start + headerLen > all.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(all, start, headerLen, StandardCharsets.US_ASCII);
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
        if (all.length - dataStart != total) {
            throw new IOException(file + ": " + (all.length - dataStart) + " data bytes for shape " + java.util.Arrays.toString(shape));
        }
        byte[] data = java.util.Arrays.copyOfRange(all, dataStart, all.length);
        return new Uint8(shape, data);
    }
}

package dev.diffusion4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.io.Npy;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files of a directory of samples (docs/SPARK.md, "The output"): one shard per range of sample indices, its pixels
 * as an (n, C, H, W) uint8 {@code .npy} and, for a class-conditional model, its labels as an (n,) int64 {@code .npy},
 * each named by its range and written durably and atomically; {@code request.json}, what the samples are, written
 * first; {@code index.json}, the request and the list of shards, written last.
 */
final class Shards {
    /** The format the index and the request name. */
    static final String FORMAT = "diffusion4j-samples-v1";
    static final String INDEX = "index.json";
    static final String REQUEST = "request.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Shards() {}

    /** Sample indices {@code from} to {@code to - 1}. */
    record Range(int from, int to) implements Serializable {
        private static final long serialVersionUID = 1L;

        int count() {
            return to - from;
        }

        /** The file name both of the shard's files start with: {@code shard-00000000-00000064}. */
        String stem() {
            return String.format(Locale.ROOT, "shard-%08d-%08d", from, to);
        }

        /**
         * {@code total} indices cut into {@code parts} contiguous ranges whose sizes differ by at most one.
         *
         * @throws IllegalArgumentException unless 1 ≤ parts ≤ total
         */
        static List<Range> split(int total, int parts) {
            if (parts < 1 || parts > total) {
                throw new IllegalArgumentException("cannot cut " + total + " samples into " + parts + " ranges");
            }
            List<Range> out = new ArrayList<>(parts);
            for (int k = 0; k < parts; k++) {
                out.add(new Range((int) ((long) k * total / parts), (int) ((long) (k + 1) * total / parts)));
            }
            return out;
        }
    }

    /** One shard's files in {@code dir}: what it must hold, and whether it does. */
    record Shard(Path dir, Range range, int channels, int height, int width, boolean labelled) {
        Path pixels() {
            return dir.resolve(range.stem() + ".npy");
        }

        Path labels() {
            return dir.resolve(range.stem() + ".labels.npy");
        }

        /** Whether both files are there, whole, of the right shape: a shard a rerun or a retried task need not draw again. */
        boolean complete() {
            try {
                if (!Arrays.equals(Npy.shape(pixels()), new int[] {range.count(), channels, height, width})) {
                    return false;
                }
                return !labelled || readLabels(labels()).length == range.count();
            } catch (IOException e) {
                return false; // missing or torn: drawn again
            }
        }

        /** Writes the labels (when the model has classes), then the pixels; each file appears whole or not at all. */
        void writeLabels(long[] labels) throws IOException {
            Shards.writeLabels(labels(), labels);
        }

        void writePixels(Samples samples) throws IOException {
            AtomicFiles.writeDurably(pixels(), out -> ImageFiles.writeNpy(out, samples.pixels(), samples.count(), samples.channels(),
                    samples.height(), samples.width()));
        }
    }

    /** Writes an (n,) little-endian int64 {@code .npy}, durably and atomically. */
    static void writeLabels(Path file, long[] labels) throws IOException {
        String dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + labels.length + ",), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer data = ByteBuffer.allocate(8 * labels.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long l : labels) {
            data.putLong(l);
        }
        AtomicFiles.writeDurably(file, out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            d.write(header.length() & 0xff);
            d.write(header.length() >> 8);
            d.write(header.getBytes(StandardCharsets.US_ASCII));
            d.write(data.array());
            d.flush();
        });
    }

    /** Reads what {@link #writeLabels} wrote. */
    static long[] readLabels(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
        if (all.length < 10 || (all[0] & 0xff) != 0x93 || all[6] != 1) {
            throw new IOException(file + ": not a version 1 .npy file");
        }
        int headerLen = (all[8] & 0xff) | ((all[9] & 0xff) << 8);
        if (10 + headerLen > all.length) {
            throw new IOException(file + ": truncated .npy header");
        }
        String header = new String(all, 10, headerLen, StandardCharsets.US_ASCII);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("'shape': \\((\\d+),\\)").matcher(header);
        if (!header.contains("'descr': '<i8'") || !m.find()) {
            throw new IOException(file + ": expected an (n,) int64 array, header " + header.trim());
        }
        int n = Integer.parseInt(m.group(1));
        if (all.length - 10 - headerLen != 8L * n) {
            throw new IOException(file + ": " + (all.length - 10 - headerLen) + " data bytes for " + n + " labels");
        }
        ByteBuffer b = ByteBuffer.wrap(all, 10 + headerLen, 8 * n).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getLong();
        }
        return out;
    }

    /**
     * Writes {@code request.json}, or checks that the one there describes the same samples, so that shards of another
     * request are never taken for this one's.
     *
     * @throws Jobs.UserInputException naming the directory and the first field that differs
     */
    static void claim(Path dir, Map<String, Object> request) throws IOException {
        Path file = dir.resolve(REQUEST);
        JsonNode wanted = JSON.readTree(JSON.writeValueAsBytes(request)); // as it reads back: numbers by value, not Java type
        if (Files.exists(file)) {
            JsonNode there;
            try (InputStream in = Files.newInputStream(file)) {
                there = JSON.readTree(in);
            } catch (IOException e) {
                throw new Jobs.UserInputException(file + ": unreadable (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            if (!wanted.equals(there)) {
                throw new Jobs.UserInputException(dir + ": holds samples of another request (" + firstDifference(wanted, there)
                        + "); choose another --out");
            }
            return;
        }
        writeJson(file, request);
    }

    private static String firstDifference(JsonNode wanted, JsonNode there) {
        for (Iterator<String> it = wanted.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!wanted.get(f).equals(there.get(f))) {
                return f + " " + (there.get(f) == null ? "missing" : there.get(f).toString()) + " there, " + wanted.get(f) + " here";
            }
        }
        return "it has other fields";
    }

    /** Writes a JSON file durably and atomically. */
    static void writeJson(Path file, Object value) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(value);
        AtomicFiles.writeDurably(file, out -> {
            out.write(bytes);
            out.write('\n');
        });
    }

    /** A directory's index: its shards' pixel files with their ranges, in order of index, and the shape of a sample. */
    record Index(List<Path> pixels, List<Range> ranges, int count, int[] shape) {}

    /**
     * Reads {@code dir/index.json}.
     *
     * @throws Jobs.UserInputException naming the directory when it has no index or its shards do not cover 0..count
     */
    static Index readIndex(Path dir) throws IOException {
        Path file = dir.resolve(INDEX);
        if (!Files.isRegularFile(file)) {
            throw new Jobs.UserInputException(dir + ": no " + INDEX + " (not written by SampleJob, or the job has not finished)");
        }
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = JSON.readTree(in);
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new Jobs.UserInputException(file + ": not a " + FORMAT + " index");
        }
        List<Path> pixels = new ArrayList<>();
        List<Range> ranges = new ArrayList<>();
        int next = 0;
        for (JsonNode s : root.path("shards")) {
            Range r = new Range(s.path("from").asInt(), s.path("to").asInt());
            if (r.from() != next || r.to() <= r.from()) {
                throw new Jobs.UserInputException(file + ": shard " + s.path("pixels").asText() + " starts at " + r.from() + ", not " + next);
            }
            next = r.to();
            ranges.add(r);
            pixels.add(dir.resolve(s.path("pixels").asText()));
        }
        int count = root.path("count").asInt();
        if (next != count || count < 1) {
            throw new Jobs.UserInputException(file + ": its shards hold " + next + " samples, it says " + count);
        }
        JsonNode shape = root.path("shape");
        return new Index(pixels, ranges, count, new int[] {shape.path(0).asInt(), shape.path(1).asInt(), shape.path(2).asInt()});
    }
}

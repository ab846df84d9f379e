package dev.diffusion4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, a JSON header of N
 * bytes mapping each tensor's name to its dtype, shape and byte range, then the tensors' bytes,
 * little-endian. Only float32 tensors are written and read here.
 *
 * <p>Reading validates the whole header before allocating any tensor: the header length is bounded
 * by the file size, every entry is F32 with a non-negative shape whose size matches its byte range,
 * and the ranges are contiguous, in order, and cover the data section exactly.
 */
public final class SafeTensors {
    /** A header larger than this is refused. */
    static final long MAX_HEADER = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /** A float32 tensor. */
    public record Tensor(long[] shape, float[] data) {
        public Tensor {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
                }
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, got " + data.length);
            }
        }
    }

    /** The contents of a file: tensors in file order, and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Writes tensors (in map order) and metadata atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("'__metadata__' is not a tensor name");
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().data().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(head);
            for (Tensor t : tensors.values()) {
                writeFloats(out, t.data());
            }
        });
    }

    private static void writeFloats(OutputStream out, float[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) {
            if (buf.remaining() < 4) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            buf.putFloat(f);
        }
        out.write(buf.array(), 0, buf.position());
    }

    /**
     * Reads and validates a file: the header, then every entry, then that the entries tile the data
     * section, and only then the tensors.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long n = headerLength(ch, size, file);
            JsonNode header = header(ch, n, file);
            long dataSize = size - 8 - n;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    metadata(f.getValue(), metadata, file);
                } else {
                    entries.add(entry(f.getKey(), f.getValue(), dataSize, file));
                }
            }
            requireContiguous(entries, dataSize, file);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                tensors.put(e.name(), readTensor(ch, 8 + n, e, file));
            }
            return new Contents(tensors, metadata);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (ArithmeticException e) {
            throw bad(file, "a tensor shape overflows");
        }
    }

    /** One header entry: a tensor's name, shape and byte range in the data section. */
    private record Entry(String name, long[] shape, long begin, long end) {}

    private static long headerLength(FileChannel ch, long size, Path file) throws IOException {
        if (size < 8) {
            throw bad(file, "only " + size + " bytes, too short for a safetensors header");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, file);
        long n = lenBuf.flip().getLong();
        if (n <= 0 || n > size - 8 || n > MAX_HEADER) {
            throw bad(file, "header length " + n + " does not fit in a file of " + size + " bytes");
        }
        return n;
    }

    private static JsonNode header(FileChannel ch, long n, Path file) throws IOException {
        ByteBuffer headBuf = ByteBuffer.allocate((int) n);
        readFully(ch, headBuf, 8, file);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headBuf.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw bad(file, "the header is not valid JSON");
        }
        if (header == null || !header.isObject()) {
            throw bad(file, "the header is not a JSON object");
        }
        return header;
    }

    private static void metadata(JsonNode v, Map<String, String> out, Path file) throws IOException {
        if (!v.isObject()) {
            throw bad(file, "__metadata__ is not an object");
        }
        v.fields().forEachRemaining(m -> out.put(m.getKey(), m.getValue().asText()));
    }

    /** Validates one tensor's entry: F32, a non-negative shape, offsets inside the data section that hold exactly its bytes. */
    private static Entry entry(String name, JsonNode v, long dataSize, Path file) throws IOException {
        if (!v.isObject() || !v.path("dtype").isTextual() || !v.path("shape").isArray() || !v.path("data_offsets").isArray()
                || v.path("data_offsets").size() != 2) {
            throw bad(file, "tensor '" + name + "' lacks dtype, shape or data_offsets");
        }
        if (!v.get("dtype").asText().equals("F32")) {
            throw bad(file, "tensor '" + name + "' has dtype " + v.get("dtype").asText() + "; only F32 is supported");
        }
        long[] shape = new long[v.get("shape").size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = v.get("shape").get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw bad(file, "tensor '" + name + "' has a bad shape " + v.get("shape"));
            }
            shape[i] = d.asLong();
            count = Math.multiplyExact(count, shape[i]);
        }
        long begin = v.get("data_offsets").get(0).asLong(-1);
        long end = v.get("data_offsets").get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(file, "tensor '" + name + "' has offsets [" + begin + ", " + end + "] outside the " + dataSize + "-byte data section");
        }
        if (end - begin != 4 * count) {
            throw bad(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + 4 * count
                    + " bytes but its offsets give " + (end - begin));
        }
        return new Entry(name, shape, begin, end);
    }

    /** The byte ranges, sorted, must follow each other without gaps and cover the data section. */
    private static void requireContiguous(List<Entry> entries, long dataSize, Path file) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        long expect = 0;
        for (Entry e : sorted) {
            if (e.begin() != expect) {
                throw bad(file, "tensor data is not contiguous at byte " + expect + " (tensor '" + e.name() + "')");
            }
            expect = e.end();
        }
        if (expect != dataSize) {
            throw bad(file, "the tensors cover " + expect + " of the " + dataSize + " data bytes");
        }
    }

    private static Tensor readTensor(FileChannel ch, long dataStart, Entry e, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, dataStart + e.begin(), file);
        b.flip();
        float[] data = new float[b.remaining() / 4];
        b.asFloatBuffer().get(data);
        return new Tensor(e.shape(), data);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw bad(file, "ends early");
            }
        }
    }

    private static IOException bad(Path file, String why) {
        return new IOException(file + ": not a valid safetensors file: " + why);
    }
}

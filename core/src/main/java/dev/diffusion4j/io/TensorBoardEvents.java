package dev.diffusion4j.io;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>}): TFRecord framing (the length as a
 * little-endian uint64, the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the data) around
 * {@code Event} messages of TensorBoard's {@code event.proto} and {@code summary.proto}, encoded here by hand (the few
 * fields used are listed below; a protobuf dependency and generated classes would be larger than this writer). The
 * first record is {@code file_version = "brain.Event:2"}; each write is flushed to the file, so a process killed
 * at any moment leaves whole records and at most a torn last one, which {@link #read} stops before.
 * <pre>{@code
 * try (TensorBoardEvents tb = TensorBoardEvents.create(runDir)) {
 *     tb.scalars(step, Map.of("loss", 0.05));
 * }
 * }</pre>
 * Fields written: Event.wall_time (1, double), step (2, int64), file_version (3), summary (5), session_log (7:
 * status 1); Summary.value (1); Value.tag (1), simple_value (2, float), image (4), audio (6), tensor (8), metadata
 * (9: plugin_data 1 with plugin_name 1); Image height (1), width (2), colorspace (3), encoded_image_string (4);
 * Audio sample_rate (1, float), num_channels (2), length_frames (3), encoded_audio_string (4), content_type (5);
 * TensorProto dtype (1, DT_STRING = 7), tensor_shape (2), string_val (8).
 */
public final class TensorBoardEvents implements Closeable {
    /** What the first record says. */
    public static final String FILE_VERSION = "brain.Event:2";

    private final Path file;
    private final OutputStream out;

    private TensorBoardEvents(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * A new event file in {@code dir}, named by the time and the host as TensorBoard's writers name theirs, with its
     * file_version record written.
     */
    public static TensorBoardEvents create(Path dir) throws IOException {
        Files.createDirectories(dir);
        String host = hostName();
        long seconds = System.currentTimeMillis() / 1000;
        Path file = dir.resolve("events.out.tfevents." + seconds + "." + host);
        for (int k = 1; Files.exists(file); k++) {
            file = dir.resolve("events.out.tfevents." + seconds + "." + host + "." + k);
        }
        TensorBoardEvents tb = new TensorBoardEvents(file, Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        tb.write(new Proto().fixed64(1, wallTime()).varint(2, 0).string(3, FILE_VERSION).bytes());
        return tb;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "_");
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The file written. */
    public Path file() {
        return file;
    }

    /** One Event with a Summary of simple values, in the map's order. */
    public void scalars(long step, Map<String, Double> values) throws IOException {
        Proto summary = new Proto();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            summary.message(1, new Proto().string(1, e.getKey()).fixed32(2, e.getValue().floatValue()));
        }
        summaryEvent(step, summary);
    }

    /** An image (PNG bytes) under {@code tag}. */
    public void image(long step, String tag, byte[] png, int height, int width, int channels) throws IOException {
        Proto image = new Proto().varint(1, height).varint(2, width).varint(3, channels == 1 ? 1 : channels == 3 ? 3 : 4).bytes(4, png);
        summaryEvent(step, new Proto().message(1, new Proto().string(1, tag).message(4, image)));
    }

    /** A sound (WAV bytes, mono) under {@code tag}. */
    public void audio(long step, String tag, byte[] wav, float sampleRate, long frames) throws IOException {
        Proto audio = new Proto().fixed32(1, sampleRate).varint(2, 1).varint(3, frames).bytes(4, wav).string(5, "audio/wav");
        summaryEvent(step, new Proto().message(1, new Proto().string(1, tag).message(6, audio)));
    }

    /** Text (Markdown) under {@code tag}, for TensorBoard's text plugin: a string tensor with the plugin named. */
    public void text(long step, String tag, String markdown) throws IOException {
        Proto tensor = new Proto().varint(1, 7).message(2, new Proto()).bytes(8, markdown.getBytes(StandardCharsets.UTF_8));
        Proto metadata = new Proto().message(1, new Proto().string(1, "text"));
        summaryEvent(step, new Proto().message(1, new Proto().string(1, tag).message(9, metadata).message(8, tensor)));
    }

    /**
     * A SessionLog START at {@code step}: TensorBoard then drops the events of earlier files from this step on, which
     * a resumed run writes again.
     */
    public void sessionStart(long step) throws IOException {
        write(new Proto().fixed64(1, wallTime()).varint(2, step).message(7, new Proto().varint(1, 1)).bytes());
    }

    private void summaryEvent(long step, Proto summary) throws IOException {
        write(new Proto().fixed64(1, wallTime()).varint(2, step).message(5, summary).bytes());
    }

    private static double wallTime() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Appends one record and flushes it. */
    private synchronized void write(byte[] data) throws IOException {
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(len).putInt(maskedCrc(len)).put(data).putInt(maskedCrc(data));
        out.write(b.array());
        out.flush();
    }

    /** TFRecord's masked CRC-32C: rotated right by 15 bits plus 0xa282ead8. */
    public static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** The records of an event file, each CRC checked. */
    public record Records(java.util.List<byte[]> records, boolean tornTail) {}

    /**
     * Reads every whole record of {@code file}, checking both CRCs of each; a last record cut short (a process killed
     * while writing it) ends the list, with {@code tornTail} set.
     *
     * @throws IOException naming the file and the record whose CRC does not match
     */
    public static Records read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 12) {
                return new Records(out, true);
            }
            byte[] len = new byte[8];
            b.get(len);
            int lenCrc = b.getInt();
            if (lenCrc != maskedCrc(len)) {
                throw new IOException(file + ": record " + out.size() + ": the length's CRC does not match");
            }
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > b.remaining() - 4L) {
                return new Records(out, true);
            }
            byte[] data = new byte[(int) n];
            b.get(data);
            if (b.getInt() != maskedCrc(data)) {
                throw new IOException(file + ": record " + out.size() + ": the data's CRC does not match");
            }
            out.add(data);
        }
        return new Records(out, false);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** Protocol-buffer wire format, the few types used. */
    static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        private void tag(int field, int wireType) {
            rawVarint(((long) field << 3) | wireType);
        }

        private void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                buf.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            buf.write((int) v);
        }

        Proto varint(int field, long v) {
            tag(field, 0);
            rawVarint(v);
            return this;
        }

        Proto fixed64(int field, double v) {
            tag(field, 1);
            buf.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array());
            return this;
        }

        Proto fixed32(int field, float v) {
            tag(field, 5);
            buf.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
            return this;
        }

        Proto bytes(int field, byte[] v) {
            tag(field, 2);
            rawVarint(v.length);
            buf.writeBytes(v);
            return this;
        }

        Proto string(int field, String v) {
            return bytes(field, v.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.bytes());
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }
}

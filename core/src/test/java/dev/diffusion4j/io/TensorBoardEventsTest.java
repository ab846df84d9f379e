package dev.diffusion4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event files decoded by protobuf-java against TensorBoard's definitions (event.proto, summary.proto,
 * tensor.proto: the messages and field numbers written, transcribed here), every CRC checked, a torn tail detected.
 */
public class TensorBoardEventsTest {
    static final Descriptor EVENT = descriptors();

    private static FieldDescriptorProto field(String name, int number, Type type) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).setLabel(Label.LABEL_OPTIONAL).build();
    }

    private static FieldDescriptorProto message(String name, int number, String typeName) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(Type.TYPE_MESSAGE).setTypeName(typeName)
                .setLabel(Label.LABEL_OPTIONAL).build();
    }

    private static FieldDescriptorProto repeated(FieldDescriptorProto f) {
        return f.toBuilder().setLabel(Label.LABEL_REPEATED).build();
    }

    private static Descriptor descriptors() {
        DescriptorProto image = DescriptorProto.newBuilder().setName("Image").addField(field("height", 1, Type.TYPE_INT32))
                .addField(field("width", 2, Type.TYPE_INT32)).addField(field("colorspace", 3, Type.TYPE_INT32))
                .addField(field("encoded_image_string", 4, Type.TYPE_BYTES)).build();
        DescriptorProto audio = DescriptorProto.newBuilder().setName("Audio").addField(field("sample_rate", 1, Type.TYPE_FLOAT))
                .addField(field("num_channels", 2, Type.TYPE_INT64)).addField(field("length_frames", 3, Type.TYPE_INT64))
                .addField(field("encoded_audio_string", 4, Type.TYPE_BYTES)).addField(field("content_type", 5, Type.TYPE_STRING)).build();
        DescriptorProto value = DescriptorProto.newBuilder().setName("Value").addField(field("tag", 1, Type.TYPE_STRING))
                .addField(field("simple_value", 2, Type.TYPE_FLOAT)).addField(message("image", 4, ".tensorboard.Summary.Image"))
                .addField(message("audio", 6, ".tensorboard.Summary.Audio")).addField(field("node_name", 7, Type.TYPE_STRING))
                .addField(message("tensor", 8, ".tensorboard.TensorProto")).addField(message("metadata", 9, ".tensorboard.SummaryMetadata"))
                .build();
        DescriptorProto summary = DescriptorProto.newBuilder().setName("Summary").addNestedType(image).addNestedType(audio).addNestedType(value)
                .addField(repeated(message("value", 1, ".tensorboard.Summary.Value"))).build();
        DescriptorProto pluginData = DescriptorProto.newBuilder().setName("PluginData").addField(field("plugin_name", 1, Type.TYPE_STRING))
                .addField(field("content", 2, Type.TYPE_BYTES)).build();
        DescriptorProto metadata = DescriptorProto.newBuilder().setName("SummaryMetadata").addNestedType(pluginData)
                .addField(message("plugin_data", 1, ".tensorboard.SummaryMetadata.PluginData")).addField(field("display_name", 2, Type.TYPE_STRING))
                .build();
        DescriptorProto shape = DescriptorProto.newBuilder().setName("TensorShapeProto").addField(field("unknown_rank", 3, Type.TYPE_BOOL)).build();
        DescriptorProto tensor = DescriptorProto.newBuilder().setName("TensorProto").addField(field("dtype", 1, Type.TYPE_INT32))
                .addField(message("tensor_shape", 2, ".tensorboard.TensorShapeProto")).addField(repeated(field("string_val", 8, Type.TYPE_BYTES)))
                .build();
        DescriptorProto sessionLog = DescriptorProto.newBuilder().setName("SessionLog").addField(field("status", 1, Type.TYPE_INT32))
                .addField(field("checkpoint_path", 2, Type.TYPE_STRING)).addField(field("msg", 3, Type.TYPE_STRING)).build();
        DescriptorProto event = DescriptorProto.newBuilder().setName("Event").addField(field("wall_time", 1, Type.TYPE_DOUBLE))
                .addField(field("step", 2, Type.TYPE_INT64)).addField(field("file_version", 3, Type.TYPE_STRING))
                .addField(message("summary", 5, ".tensorboard.Summary")).addField(message("session_log", 7, ".tensorboard.SessionLog")).build();
        FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("tensorboard_events.proto").setPackage("tensorboard").setSyntax("proto3")
                .addMessageType(event).addMessageType(summary).addMessageType(metadata).addMessageType(shape).addMessageType(tensor)
                .addMessageType(sessionLog).build();
        try {
            return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName("Event");
        } catch (com.google.protobuf.Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every record of {@code file} as an Event, with no field the definitions do not know. */
    public static List<DynamicMessage> events(Path file) throws IOException {
        List<DynamicMessage> out = new ArrayList<>();
        for (byte[] r : TensorBoardEvents.read(file).records()) {
            DynamicMessage e = DynamicMessage.parseFrom(EVENT, r);
            assertThat(e.getUnknownFields().asMap()).as("fields outside TensorBoard's definitions").isEmpty();
            out.add(e);
        }
        return out;
    }

    public static Object get(DynamicMessage m, String path) {
        Object v = m;
        for (String name : path.split("\\.")) {
            DynamicMessage msg = (DynamicMessage) v;
            v = msg.getField(msg.getDescriptorForType().findFieldByName(name));
        }
        return v;
    }

    @Test
    void everyKindOfRecordDecodesAgainstTensorBoardsDefinitions(@TempDir Path dir) throws IOException {
        Path file;
        try (TensorBoardEvents tb = TensorBoardEvents.create(dir)) {
            file = tb.file();
            Map<String, Double> values = new LinkedHashMap<>();
            values.put("loss", 0.25);
            values.put("lr", 5e-4);
            tb.scalars(50, values);
            tb.image(60, "samples", new byte[] {1, 2, 3}, 28, 30, 1);
            tb.audio(70, "clip", new byte[] {4, 5}, 8000f, 8000);
            tb.text(0, "config", "```\n{}\n```");
            tb.sessionStart(101);
        }
        assertThat(file.getFileName().toString()).startsWith("events.out.tfevents.");
        List<DynamicMessage> ev = events(file);
        assertThat(ev).hasSize(6);
        assertThat(get(ev.get(0), "file_version")).isEqualTo("brain.Event:2");
        assertThat((double) get(ev.get(0), "wall_time")).isGreaterThan(1.7e9);
        assertThat(get(ev.get(1), "step")).isEqualTo(50L);
        @SuppressWarnings("unchecked")
        List<DynamicMessage> scalars = (List<DynamicMessage>) get(ev.get(1), "summary.value");
        assertThat(scalars).extracting(v -> get(v, "tag")).containsExactly("loss", "lr");
        assertThat(scalars).extracting(v -> get(v, "simple_value")).containsExactly(0.25f, 5e-4f);
        DynamicMessage image = (DynamicMessage) ((List<?>) get(ev.get(2), "summary.value")).get(0);
        assertThat(get(image, "image.height")).isEqualTo(28);
        assertThat(get(image, "image.width")).isEqualTo(30);
        assertThat(get(image, "image.colorspace")).isEqualTo(1);
        assertThat(((com.google.protobuf.ByteString) get(image, "image.encoded_image_string")).toByteArray()).containsExactly(1, 2, 3);
        DynamicMessage audio = (DynamicMessage) ((List<?>) get(ev.get(3), "summary.value")).get(0);
        assertThat(get(audio, "audio.sample_rate")).isEqualTo(8000f);
        assertThat(get(audio, "audio.length_frames")).isEqualTo(8000L);
        assertThat(get(audio, "audio.content_type")).isEqualTo("audio/wav");
        DynamicMessage text = (DynamicMessage) ((List<?>) get(ev.get(4), "summary.value")).get(0);
        assertThat(get(text, "metadata.plugin_data.plugin_name")).isEqualTo("text");
        assertThat(get(text, "tensor.dtype")).as("DT_STRING").isEqualTo(7);
        assertThat(((com.google.protobuf.ByteString) ((List<?>) get(text, "tensor.string_val")).get(0)).toStringUtf8()).isEqualTo("```\n{}\n```");
        assertThat(get(ev.get(5), "step")).isEqualTo(101L);
        assertThat(get(ev.get(5), "session_log.status")).as("START").isEqualTo(1);
    }

    @Test
    void aTornLastRecordIsDetectedAndACorruptOneRefused(@TempDir Path dir) throws IOException {
        Path file;
        try (TensorBoardEvents tb = TensorBoardEvents.create(dir)) {
            file = tb.file();
            tb.scalars(1, Map.of("loss", 1.0));
            tb.scalars(2, Map.of("loss", 0.5));
        }
        byte[] all = Files.readAllBytes(file);
        assertThat(TensorBoardEvents.read(file).records()).hasSize(3);
        assertThat(TensorBoardEvents.read(file).tornTail()).isFalse();
        for (int cut : new int[] {1, 5, 13}) {
            Files.write(file, java.util.Arrays.copyOf(all, all.length - cut));
            TensorBoardEvents.Records r = TensorBoardEvents.read(file);
            assertThat(r.tornTail()).as("cut %d bytes", cut).isTrue();
            assertThat(r.records()).hasSize(2);
        }
        byte[] bad = all.clone();
        bad[bad.length - 6] ^= 1; // a byte of the last record's data
        Files.write(file, bad);
        assertThatThrownBy(() -> TensorBoardEvents.read(file)).hasMessage(file + ": record 2: the data's CRC does not match");
    }

    @Test
    void theMaskedCrcIsTfRecords() {
        // TFRecord's mask of CRC-32C("123456789") = 0xE3069283, computed by hand: rotate right 15, add 0xa282ead8
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertThat(TensorBoardEvents.maskedCrc("123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEqualTo(masked);
    }
}

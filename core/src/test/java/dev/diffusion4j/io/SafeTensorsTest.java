package dev.diffusion4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    private static Map<String, SafeTensors.Tensor> sample() {
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("a.weight", new SafeTensors.Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, Float.MIN_VALUE}));
        t.put("b", new SafeTensors.Tensor(new long[] {1}, new float[] {-0.0f}));
        t.put("empty", new SafeTensors.Tensor(new long[] {0, 4}, new float[0]));
        return t;
    }

    @Test
    void roundTripsExactly(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, sample(), Map.of("step", "12"));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertThat(c.metadata()).containsEntry("step", "12");
        assertThat(c.tensors().keySet()).containsExactly("a.weight", "b", "empty");
        assertThat(c.tensors().get("a.weight").data()).containsExactly(1, 2, 3, 4, 5, Float.MIN_VALUE);
        assertThat(Float.floatToRawIntBits(c.tensors().get("b").data()[0])).isEqualTo(Float.floatToRawIntBits(-0.0f));
        assertThat(c.tensors().get("a.weight").shape()).containsExactly(2, 3);
        // the layout is the standard one: 8-byte little-endian length, JSON, data
        byte[] raw = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n % 8).isZero();
        assertThat(new String(raw, 8, (int) n, StandardCharsets.UTF_8)).contains("\"dtype\":\"F32\"").contains("\"data_offsets\":[0,24]");
        assertThat(raw.length).isEqualTo(8 + n + 28);
    }

    private static Path withHeader(Path dir, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("bad-" + Math.abs(json.hashCode()) + "-" + dataBytes + ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void refusesBadHeadersNamingTheFile(@TempDir Path dir) throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertThat(SafeTensors.read(withHeader(dir, ok, 8)).tensors()).containsKey("a");
        Object[][] cases = {
            {ok, 4, "only"},
            {ok, 12, "cover 8 of the 12"},
            {"{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype F16"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, ""},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, "outside"},
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "bad shape"},
            {"[1,2]", 0, "not a JSON object"},
            {"{not json", 0, "not valid JSON"},
            {"{\"a\":{\"dtype\":\"F32\"}}", 0, "lacks"},
        };
        for (Object[] c : cases) {
            Path f = withHeader(dir, (String) c[0], (Integer) c[1]);
            if ((Integer) c[1] == 4 && ((String) c[0]).equals(ok)) {
                assertThatThrownBy(() -> SafeTensors.read(f)).hasMessageStartingWith(f.toString());
                continue;
            }
            assertThatThrownBy(() -> SafeTensors.read(f)).as((String) c[0]).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(f + ": not a valid safetensors file").hasMessageContaining((String) c[2]);
        }
        // a header length larger than the file, and a file shorter than 8 bytes
        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertThatThrownBy(() -> SafeTensors.read(huge)).hasMessageContaining("does not fit");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[3]);
        assertThatThrownBy(() -> SafeTensors.read(tiny)).hasMessageContaining("too short");
        assertThatThrownBy(() -> SafeTensors.read(dir.resolve("none.safetensors"))).hasMessageContaining("no such file");
    }

    @Test
    void writtenFilesGetTheUsualPermissions(@TempDir Path dir) throws IOException {
        Path plain = dir.resolve("plain");
        Files.write(plain, new byte[1]);
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, sample(), Map.of());
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(Files.getPosixFilePermissions(plain));
    }

    @Test
    void aFailedWriteLeavesTheOldFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, sample(), Map.of());
        byte[] before = Files.readAllBytes(f);
        Map<String, SafeTensors.Tensor> bad = new LinkedHashMap<>(sample());
        bad.put("__metadata__", new SafeTensors.Tensor(new long[] {1}, new float[] {1}));
        assertThatThrownBy(() -> SafeTensors.write(f, bad, Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (var s = Files.list(dir)) {
            assertThat(s.count()).isEqualTo(1);
        }
    }
}

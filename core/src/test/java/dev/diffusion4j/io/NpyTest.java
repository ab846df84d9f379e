package dev.diffusion4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @Test
    void roundTripsAndRefusesDamage(@TempDir Path dir) throws Exception {
        byte[] px = new byte[2 * 3 * 4 * 5];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
        }
        Path f = dir.resolve("a.npy");
        ImageFiles.writeNpy(f, px, 2, 3, 4, 5);
        Npy.Uint8 a = Npy.read(f);
        assertThat(a.shape()).containsExactly(2, 3, 4, 5);
        assertThat(a.data()).isEqualTo(px);
        byte[] raw = Files.readAllBytes(f);
        assertThat((raw.length - px.length) % 64).isZero(); // header padded to 64 bytes as NumPy does
        Files.write(f, Arrays.copyOf(raw, raw.length - 1));
        assertThatThrownBy(() -> Npy.read(f)).hasMessageContaining("data bytes for shape");
        Files.writeString(f, "not numpy at all");
        assertThatThrownBy(() -> Npy.read(f)).hasMessage(f + ": not a .npy file");
    }
}

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

    @Test
    void readsTheShapeAndARangeOfRowsAlone(@TempDir Path dir) throws Exception {
        byte[] px = new byte[5 * 2 * 3 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 13 + 1);
        }
        Path f = dir.resolve("b.npy");
        ImageFiles.writeNpy(f, px, 5, 2, 3, 3);
        assertThat(Npy.shape(f)).containsExactly(5, 2, 3, 3);
        int row = 2 * 3 * 3;
        assertThat(Npy.rows(f, 1, 4)).isEqualTo(Arrays.copyOfRange(px, row, 4 * row));
        assertThat(Npy.rows(f, 0, 5)).isEqualTo(px);
        assertThat(Npy.rows(f, 3, 3)).isEmpty();
        assertThatThrownBy(() -> Npy.rows(f, 4, 6)).hasMessage(f + ": rows 4 to 6 asked for, it has 5");
        byte[] raw = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(raw, raw.length - 1));
        assertThatThrownBy(() -> Npy.shape(f)).hasMessageContaining("data bytes for shape");
        Files.write(f, Arrays.copyOf(raw, 40));
        assertThatThrownBy(() -> Npy.shape(f)).hasMessage(f + ": truncated .npy header");
        Files.writeString(f, "tiny");
        assertThatThrownBy(() -> Npy.rows(f, 0, 1)).hasMessage(f + ": not a .npy file");
        assertThatThrownBy(() -> Npy.shape(dir.resolve("none.npy"))).hasMessage(dir.resolve("none.npy") + ": no such file");
    }
}

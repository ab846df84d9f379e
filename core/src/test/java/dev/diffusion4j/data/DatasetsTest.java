package dev.diffusion4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion4j.engine.Randomness;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class DatasetsTest {
    public static byte[] idx3(int n, int h, int w, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(16 + dataBytes);
        b.putInt(0x803).putInt(n).putInt(h).putInt(w);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    public static byte[] idx1(int n) {
        ByteBuffer b = ByteBuffer.allocate(8 + n);
        b.putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (i % 10));
        }
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(raw);
        }
        return out.toByteArray();
    }

    @Test
    void readsMnistRawAndGzipped(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(idx3(3, 4, 5, 60)));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx1(3));
        ImageDataset d = Datasets.mnist(dir, Datasets.Split.TRAIN);
        assertThat(d.count()).isEqualTo(3);
        assertThat(d.height()).isEqualTo(4);
        assertThat(d.width()).isEqualTo(5);
        assertThat(d.labels()).containsExactly(0, 1, 2);
        assertThat(d.pixels()[59]).isEqualTo((byte) 59);
    }

    @Test
    void refusesBrokenIdxFilesNamingThem(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.idx");
        Files.write(f, idx3(3, 4, 5, 59));
        assertThatThrownBy(() -> Idx.read(f, 3)).isInstanceOf(DataException.class).hasMessage(f + ": truncated: 59 data bytes, the header gives 60");
        Files.write(f, idx3(3, 4, 5, 61));
        assertThatThrownBy(() -> Idx.read(f, 3)).hasMessageContaining("longer than its header");
        byte[] bad = idx3(3, 4, 5, 60);
        bad[2] = 0x0d;
        Files.write(f, bad);
        assertThatThrownBy(() -> Idx.read(f, 3)).hasMessageContaining("is not unsigned bytes");
        bad = idx3(3, 4, 5, 60);
        bad[0] = 1;
        Files.write(f, bad);
        assertThatThrownBy(() -> Idx.read(f, 3)).hasMessageContaining("bad magic");
        Files.write(f, idx1(3));
        assertThatThrownBy(() -> Idx.read(f, 3)).hasMessageContaining("1 dimensions, expected 3");
        Files.write(f, idx3(70000, 30000, 30000, 0));
        assertThatThrownBy(() -> Idx.read(f, 3)).hasMessageContaining("claims more than");
        byte[] gz = gzip(idx3(3, 4, 5, 60));
        Files.write(f, Arrays.copyOf(gz, gz.length - 12));
        assertThatThrownBy(() -> Idx.read(f, 3)).hasMessageStartingWith(f + ": truncated");
        gz[gz.length / 2] ^= 0x55;
        gz[gz.length / 2 + 1] ^= 0x55;
        Files.write(f, gz);
        assertThatThrownBy(() -> Idx.read(f, 3)).isInstanceOf(DataException.class).hasMessageStartingWith(f + ":");
        assertThatThrownBy(() -> Idx.read(dir.resolve("none"), 3)).hasMessageContaining("no such file");
    }

    @Test
    void labelCountMustMatch(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), idx3(3, 2, 2, 12));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), idx1(4));
        assertThatThrownBy(() -> Datasets.mnist(dir, Datasets.Split.TEST)).hasMessageContaining("4 labels for the 3 images");
    }

    @Test
    void realMnistFromSharedData() {
        Path dir = Path.of("../shared/data/mnist");
        dev.diffusion4j.testing.Skips.unless(Files.isDirectory(dir), "../shared/data/mnist is not beside this clone");
        ImageDataset test = Datasets.mnist(dir, Datasets.Split.TEST);
        assertThat(test.count()).isEqualTo(10_000);
        assertThat(test.height()).isEqualTo(28);
        assertThat(Arrays.stream(test.labels()).distinct().count()).isEqualTo(10);
        assertThat(test.classNames()).isEqualTo(Datasets.DIGITS);
    }

    @Test
    void idxLabelsComeWithTheirClassNamesAndAreChecked(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx3(3, 2, 2, 12));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx1(3));
        assertThat(Datasets.mnist(dir, Datasets.Split.TRAIN).labels()).containsExactly(0, 1, 2);
        assertThat(Datasets.load(new DataSpec.Mnist(dir, true), Datasets.Split.TRAIN, 2, 1).classNames()).hasSize(10).contains("sneaker");
        byte[] wrong = idx1(3);
        wrong[wrong.length - 1] = 12; // the third image labelled 12: not an MNIST class
        Files.write(dir.resolve("train-labels-idx1-ubyte"), wrong);
        Path labels = dir.resolve("train-labels-idx1-ubyte");
        assertThatThrownBy(() -> Datasets.mnist(dir, Datasets.Split.TRAIN)).isInstanceOf(DataException.class)
                .hasMessage(labels + ": label 12 of item 2 is not one of the 10 classes");
        Files.delete(labels);
        assertThatThrownBy(() -> Datasets.mnist(dir, Datasets.Split.TRAIN)).isInstanceOf(DataException.class)
                .hasMessageContaining(dir.resolve("train-labels-idx1-ubyte.gz") + ": no such file");
    }

    @Test
    void imageFolderSubfoldersAreClassesInSortedOrder(@TempDir Path dir) throws IOException {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (String f : new String[] {"square/1.png", "circle/2.png", "square/3.png", "cat/deeper/4.png"}) {
            Files.createDirectories(dir.resolve(f).getParent());
            ImageIO.write(img, "png", dir.resolve(f).toFile());
        }
        ImageDataset d = Datasets.images(dir, 4, 1);
        assertThat(d.classNames()).containsExactly("cat", "circle", "square");
        // files in sorted path order: cat/deeper/4, circle/2, square/1, square/3
        assertThat(d.labels()).containsExactly(0, 1, 2, 2);
        ImageIO.write(img, "png", dir.resolve("loose.png").toFile());
        ImageDataset flat = Datasets.images(dir, 4, 1);
        assertThat(flat.labels()).as("a file outside the class folders: no labels").isNull();
        assertThat(flat.classNames()).isNull();
    }

    @Test
    void embeddedSubsetShipsInTheJar() {
        ImageDataset d = Datasets.embedded();
        assertThat(d.count()).isEqualTo(5000);
        assertThat(d.width()).isEqualTo(28);
        assertThat(Arrays.stream(d.labels()).distinct().count()).isEqualTo(10);
    }

    @Test
    void cifarRecordsAreValidated(@TempDir Path dir) throws IOException {
        byte[] rec = new byte[3073];
        rec[0] = 7;
        rec[1] = (byte) 200;
        for (int i = 1; i <= 5; i++) {
            Files.write(dir.resolve("data_batch_" + i + ".bin"), rec);
        }
        ImageDataset d = Datasets.cifar10(dir, Datasets.Split.TRAIN);
        assertThat(d.count()).isEqualTo(5);
        assertThat(d.channels()).isEqualTo(3);
        assertThat(d.labels()).containsOnly(7);
        assertThat(d.classNames().get(7)).isEqualTo("horse");
        Files.write(dir.resolve("data_batch_3.bin"), Arrays.copyOf(rec, 3000));
        assertThatThrownBy(() -> Datasets.cifar10(dir, Datasets.Split.TRAIN))
                .hasMessageContaining("data_batch_3.bin: 3000 bytes is not a whole number");
        rec[0] = 11;
        Files.write(dir.resolve("test_batch.bin"), rec);
        assertThatThrownBy(() -> Datasets.cifar10(dir, Datasets.Split.TEST)).hasMessageContaining("label 11");
    }

    @Test
    void imageFoldersAreCroppedScaledAndValidated(@TempDir Path dir) throws IOException {
        BufferedImage wide = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 40; x++) {
                wide.setRGB(x, y, x < 10 || x >= 30 ? 0x0000ff : 0xff0000);
            }
        }
        Files.createDirectories(dir.resolve("sub"));
        ImageIO.write(wide, "png", dir.resolve("sub/a.png").toFile());
        ImageIO.write(wide, "jpg", dir.resolve("b.JPG").toFile());
        ImageDataset rgb = Datasets.images(dir, 8, 3);
        assertThat(rgb.count()).isEqualTo(2);
        // center crop keeps the red middle: R high, B low everywhere
        int r = rgb.pixels()[0] & 0xff;
        int b = rgb.pixels()[2 * 64] & 0xff;
        assertThat(r).isGreaterThan(200);
        assertThat(b).isLessThan(60);
        ImageDataset gray = Datasets.images(dir, 4, 1);
        assertThat(gray.channels()).isEqualTo(1);
        assertThat(gray.pixels()[0] & 0xff).isBetween(60, 90); // 0.299 * 255
        Files.writeString(dir.resolve("c.png"), "this is not a png");
        assertThatThrownBy(() -> Datasets.images(dir, 8, 3)).isInstanceOf(DataException.class)
                .hasMessageStartingWith(dir.resolve("c.png").toString());
        assertThatThrownBy(() -> Datasets.images(dir.resolve("sub/a.png"), 8, 3)).hasMessageContaining("not a directory");
    }

    @Test
    void batchesAreScaledToMinusOneOne() {
        ImageDataset d = new ImageDataset("t", 2, 1, 1, 3, new byte[] {0, (byte) 255, (byte) 128, 1, 2, 3}, null);
        try (var m = dev.diffusion4j.testing.Tensors.manager(1)) {
            float[] f = d.batch(m, new int[] {0, 1}, new boolean[] {true, false}).toFloatArray();
            assertThat(f).containsExactly(128 / 127.5f - 1, 1f, -1f, 1 / 127.5f - 1, 2 / 127.5f - 1, 3 / 127.5f - 1);
        }
        assertThat(DataSpec.parse("mnist:/x")).isEqualTo(new DataSpec.Mnist(Path.of("/x"), false));
        assertThat(DataSpec.parse("embedded")).isInstanceOf(DataSpec.Embedded.class);
        assertThatThrownBy(() -> DataSpec.parse("svhn:/x")).hasMessageContaining("unknown data kind 'svhn'");
        assertThatThrownBy(() -> DataSpec.parse("mnist")).hasMessageContaining("is not one of");
    }

    @Test
    void shuffledIsASeededPermutationThatKeepsLabelsWithTheirImages() {
        int n = 50;
        byte[] px = new byte[n * 4];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(px, i * 4, i * 4 + 4, (byte) i);
            labels[i] = i / 10; // sorted by class, as files sorted by name can be
        }
        ImageDataset d = new ImageDataset("sorted", n, 1, 2, 2, px, labels);
        ImageDataset s = d.shuffled(Randomness.of(7));
        assertThat(s.shuffled(Randomness.of(7)).pixels()).isNotEqualTo(s.pixels());
        assertThat(d.shuffled(Randomness.of(7)).pixels()).isEqualTo(s.pixels());
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            int id = s.pixels()[i * 4];
            assertThat(s.pixels()[i * 4 + 3]).isEqualTo((byte) id);
            assertThat(s.labels()[i]).isEqualTo(id / 10);
            seen.add(id);
        }
        assertThat(seen).hasSize(n);
        assertThat(java.util.Arrays.stream(s.head(10).labels()).distinct().count()).as("the first ten span several classes").isGreaterThan(2);
    }
}

package dev.diffusion4j.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Reads the image data sets that {@link DataSpec} names. */
public final class Datasets {
    /** An image with more pixels than this is refused before it is decoded. */
    public static final long MAX_PIXELS = 50_000_000L;

    private Datasets() {}

    /** The class names of MNIST: the digits. */
    public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    /** The class names of Fashion-MNIST, in label order. */
    public static final List<String> FASHION = List.of("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
            "sneaker", "bag", "ankle-boot");
    /** The class names of CIFAR-10, in label order. */
    public static final List<String> CIFAR10 = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
            "ship", "truck");

    /** Which part of a data set. */
    public enum Split {
        TRAIN,
        TEST
    }

    /**
     * Loads a data set.
     *
     * @param size for {@code images:} the side the images are cropped and scaled to; other sets keep theirs
     * @param channels for {@code images:} 1 (grayscale) or 3 (RGB)
     * @throws DataException naming the file and the problem
     */
    public static ImageDataset load(DataSpec spec, Split split, int size, int channels) {
        return load(spec, split, size, channels, AudioConfig.defaults());
    }

    /**
     * Loads a data set; {@code wav:} folders become log-mel images as {@code audio} says (with its
     * statistics, or with statistics measured on the folder's training split).
     */
    public static ImageDataset load(DataSpec spec, Split split, int size, int channels, AudioConfig audio) {
        if (spec instanceof DataSpec.Wav w) {
            return AudioDatasets.load(w.dir(), split, audio).images();
        }
        if (spec instanceof DataSpec.Mnist m) {
            return mnist(m.dir(), split, m.fashion());
        }
        if (spec instanceof DataSpec.Cifar10 c) {
            return cifar10(c.dir(), split);
        }
        if (spec instanceof DataSpec.Images i) {
            return images(i.dir(), size, channels);
        }
        return embedded();
    }

    /** The 5,000 training digits shipped in the jar. */
    public static ImageDataset embedded() {
        String base = "/dev/diffusion4j/data/mnist-train-5k-";
        Idx.Array img = Idx.readResource(base + "images-idx3-ubyte.gz", 3);
        Idx.Array lab = Idx.readResource(base + "labels-idx1-ubyte.gz", 1);
        return mnistArrays("embedded MNIST subset", img, lab, "embedded MNIST subset labels", DIGITS);
    }

    /** MNIST IDX files in {@code dir}, gzipped or not. */
    public static ImageDataset mnist(Path dir, Split split) {
        return mnist(dir, split, false);
    }

    /** MNIST or Fashion-MNIST IDX files in {@code dir}, gzipped or not. */
    public static ImageDataset mnist(Path dir, Split split, boolean fashion) {
        if (!Files.isDirectory(dir)) {
            throw new DataException(dir + ": not a directory");
        }
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        Path img = find(dir, prefix + "-images-idx3-ubyte");
        Path lab = find(dir, prefix + "-labels-idx1-ubyte");
        return mnistArrays(img.toString(), Idx.read(img, 3), Idx.read(lab, 1), lab.toString(), fashion ? FASHION : DIGITS);
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base, base.replace("-idx", ".idx") + ".gz", base.replace("-idx", ".idx")}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new DataException(dir.resolve(base + ".gz") + ": no such file (nor " + base + ")");
    }

    static ImageDataset mnistFiles(String name, Path images, Path labels) {
        return mnistArrays(name, Idx.read(images, 3), Idx.read(labels, 1), labels + "", DIGITS);
    }

    /** Images and their labels, which must be as many and each name one of {@code names}. */
    private static ImageDataset mnistArrays(String name, Idx.Array img, Idx.Array lab, String labels, List<String> names) {
        if (lab.dims()[0] != img.dims()[0]) {
            throw new DataException(labels + ": " + lab.dims()[0] + " labels for the " + img.dims()[0] + " images of " + name);
        }
        int[] l = new int[lab.dims()[0]];
        for (int i = 0; i < l.length; i++) {
            l[i] = lab.data()[i] & 0xff;
            if (l[i] >= names.size()) {
                throw new DataException(labels + ": label " + l[i] + " of item " + i + " is not one of the " + names.size() + " classes");
            }
        }
        return new ImageDataset(name, img.dims()[0], 1, img.dims()[1], img.dims()[2], img.data(), l, names);
    }

    /** CIFAR-10 binary batches: records of one label byte and 3,072 pixel bytes (R, G, B planes of 32x32). */
    public static ImageDataset cifar10(Path dir, Split split) {
        if (!Files.isDirectory(dir)) {
            throw new DataException(dir + ": not a directory");
        }
        List<Path> files = new ArrayList<>();
        if (split == Split.TRAIN) {
            for (int i = 1; i <= 5; i++) {
                files.add(dir.resolve("data_batch_" + i + ".bin"));
            }
        } else {
            files.add(dir.resolve("test_batch.bin"));
        }
        int record = 1 + 3 * 32 * 32;
        List<byte[]> parts = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            byte[] b;
            try {
                b = Files.readAllBytes(f);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new DataException(f + ": no such file");
            } catch (IOException e) {
                throw new DataException(f + ": cannot read (" + e.getMessage() + ")");
            }
            if (b.length == 0 || b.length % record != 0) {
                throw new DataException(f + ": " + b.length + " bytes is not a whole number of " + record + "-byte CIFAR-10 records");
            }
            for (int r = 0; r < b.length / record; r++) {
                if ((b[r * record] & 0xff) > 9) {
                    throw new DataException(f + ": record " + r + " has label " + (b[r * record] & 0xff) + " (expected 0-9)");
                }
            }
            parts.add(b);
            total += b.length / record;
        }
        int n = Math.toIntExact(total);
        byte[] pixels = new byte[n * 3072];
        int[] labels = new int[n];
        int k = 0;
        for (byte[] b : parts) {
            for (int r = 0; r < b.length / record; r++, k++) {
                labels[k] = b[r * record] & 0xff;
                System.arraycopy(b, r * record + 1, pixels, k * 3072, 3072);
            }
        }
        return new ImageDataset("cifar10:" + dir, n, 3, 32, 32, pixels, labels, CIFAR10);
    }

    /**
     * Every PNG or JPEG below {@code dir}, center-cropped to a square and scaled to {@code size}.
     * When every file sits in a subfolder of {@code dir} (the ImageFolder convention), the sorted
     * names of those subfolders are the classes and each image is labelled by its own; otherwise the
     * images have no labels.
     */
    public static ImageDataset images(Path dir, int size, int channels) {
        if (!Files.isDirectory(dir)) {
            throw new DataException(dir + ": not a directory");
        }
        if (channels != 1 && channels != 3) {
            throw new DataException("images:" + dir + ": channels must be 1 or 3, got " + channels);
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
            }).sorted().toList();
        } catch (IOException e) {
            throw new DataException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) {
            throw new DataException(dir + ": no .png, .jpg or .jpeg files");
        }
        int per = channels * size * size;
        byte[] pixels = new byte[Math.multiplyExact(files.size(), per)];
        for (int i = 0; i < files.size(); i++) {
            BufferedImage img = decode(files.get(i));
            BufferedImage scaled = cropAndScale(img, size);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int rgb = scaled.getRGB(x, y);
                    int r = (rgb >> 16) & 0xff;
                    int g = (rgb >> 8) & 0xff;
                    int b = rgb & 0xff;
                    if (channels == 1) {
                        pixels[i * per + y * size + x] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
                    } else {
                        pixels[i * per + y * size + x] = (byte) r;
                        pixels[i * per + size * size + y * size + x] = (byte) g;
                        pixels[i * per + 2 * size * size + y * size + x] = (byte) b;
                    }
                }
            }
        }
        List<String> classes = folderClasses(dir, files);
        int[] labels = null;
        if (classes != null) {
            labels = new int[files.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = java.util.Collections.binarySearch(classes, dir.relativize(files.get(i)).getName(0).toString());
            }
        }
        return new ImageDataset("images:" + dir, files.size(), channels, size, size, pixels, labels, classes);
    }

    /** The sorted names of the subfolders that hold the files, or null when some file lies directly in {@code dir}. */
    static List<String> folderClasses(Path dir, List<Path> files) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (Path f : files) {
            Path rel = dir.relativize(f);
            if (rel.getNameCount() < 2) {
                return null;
            }
            names.add(rel.getName(0).toString());
        }
        return List.copyOf(names);
    }

    /** Decodes one image, checking a PNG's chunks and the image's size before decoding it. */
    static BufferedImage decode(Path file) {
        byte[] head = new byte[8];
        try (java.io.InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (PngChunks.isPng(head)) {
            PngChunks.verify(file);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new DataException(file + ": cannot open");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DataException(file + ": not a PNG or JPEG image that can be decoded");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w * h > MAX_PIXELS) {
                    throw new DataException(file + ": " + w + "x" + h + " pixels is over the limit of " + MAX_PIXELS);
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DataException d) {
                throw d;
            }
            throw new DataException(file + ": cannot decode (" + e.getMessage() + ")");
        }
    }

    static BufferedImage cropAndScale(BufferedImage img, int size) {
        int side = Math.min(img.getWidth(), img.getHeight());
        int x0 = (img.getWidth() - side) / 2;
        int y0 = (img.getHeight() - side) / 2;
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(img, 0, 0, size, size, x0, y0, x0 + side, y0 + side, null);
        g.dispose();
        return out;
    }
}

package dev.diffusion4j.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where training or evaluation images come from, as written on the command line: {@code embedded},
 * {@code mnist:DIR}, {@code fashion-mnist:DIR}, {@code cifar10:DIR}, {@code images:DIR} or {@code wav:DIR}.
 * Parsed once where it enters (the command line, a configuration file) and passed inward as this
 * type; it is written back as the same text ({@link #spec()}).
 */
public sealed interface DataSpec {
    /** The spec as written, e.g. {@code mnist:DIR}: what configurations store. */
    @JsonValue
    default String spec() {
        return toString();
    }

    /** The 5,000 MNIST digits shipped inside the jar (CC BY-SA 3.0, Y. LeCun and C. Cortes). */
    record Embedded() implements DataSpec {
        @Override
        public String toString() {
            return "embedded";
        }
    }

    /** IDX files as MNIST ships them; {@code fashion} only changes the name. */
    record Mnist(Path dir, boolean fashion) implements DataSpec {
        @Override
        public String toString() {
            return (fashion ? "fashion-mnist:" : "mnist:") + dir;
        }
    }

    /** The CIFAR-10 binary batches ({@code data_batch_1.bin} … {@code test_batch.bin}). */
    record Cifar10(Path dir) implements DataSpec {
        @Override
        public String toString() {
            return "cifar10:" + dir;
        }
    }

    /** A folder (searched recursively) of PNG and JPEG files. */
    record Images(Path dir) implements DataSpec {
        @Override
        public String toString() {
            return "images:" + dir;
        }
    }

    /** A folder (searched recursively) of WAV files, as log-mel spectrograms ({@link AudioDatasets}). */
    record Wav(Path dir) implements DataSpec {
        @Override
        public String toString() {
            return "wav:" + dir;
        }
    }

    /** The MNIST digits shipped in the jar. */
    static DataSpec embedded() {
        return new Embedded();
    }

    /** MNIST's IDX files in {@code dir}. */
    static DataSpec mnist(Path dir) {
        return new Mnist(dir, false);
    }

    /** Fashion-MNIST's IDX files in {@code dir}. */
    static DataSpec fashionMnist(Path dir) {
        return new Mnist(dir, true);
    }

    /** CIFAR-10's binary batches in {@code dir}. */
    static DataSpec cifar10(Path dir) {
        return new Cifar10(dir);
    }

    /** The PNG and JPEG files under {@code dir}; a class-conditional model takes its classes from the subfolders. */
    static DataSpec images(Path dir) {
        return new Images(dir);
    }

    /** The WAV files under {@code dir}, as log-mel spectrograms. */
    static DataSpec wav(Path dir) {
        return new Wav(dir);
    }

    /**
     * Parses a spec.
     *
     * @throws IllegalArgumentException naming the spec and the kinds there are
     */
    @JsonCreator
    static DataSpec parse(String spec) {
        String s = spec.trim();
        if (s.equalsIgnoreCase("embedded")) {
            return new Embedded();
        }
        int colon = s.indexOf(':');
        if (colon < 1 || colon == s.length() - 1) {
            throw new IllegalArgumentException("data '" + (spec.length() > 80 ? spec.substring(0, 80) + "…" : spec)
                    + "' is not one of embedded, mnist:DIR, fashion-mnist:DIR, cifar10:DIR, images:DIR, wav:DIR");
        }
        String kind = s.substring(0, colon).toLowerCase(Locale.ROOT);
        Path dir = Path.of(s.substring(colon + 1));
        return switch (kind) {
            case "mnist" -> new Mnist(dir, false);
            case "fashion-mnist" -> new Mnist(dir, true);
            case "cifar10" -> new Cifar10(dir);
            case "images" -> new Images(dir);
            case "wav" -> new Wav(dir);
            default -> throw new IllegalArgumentException("unknown data kind '" + (kind.length() > 40 ? kind.substring(0, 40) + "…" : kind)
                    + "' (expected embedded, mnist, fashion-mnist, cifar10, images or wav)");
        };
    }
}

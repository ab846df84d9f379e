package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every configuration the repository ships under {@code configs/} merges onto the defaults and validates, the
 * way {@code train --config} and {@code eval train-classifier --config} read it: an edit that breaks one fails
 * here, not an hour into a user's run.
 */
class ShippedConfigsTest {
    static List<Path> shipped() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("configs"))) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void findsTheShippedConfigurations() throws IOException {
        assertThat(shipped()).contains(Path.of("configs", "fsdd.yaml"), Path.of("configs", "mnist-60min.yaml"),
                Path.of("configs", "audio", "c5-64x64-w256.yaml"));
    }

    /** The defaults with the file's keys over them, validated, as {@code train --config FILE} builds it. */
    static TrainConfig load(Path file) {
        ObjectNode tree = Configs.defaultsTree();
        Configs.mergeFile(tree, file);
        return Configs.toConfig(tree);
    }

    @ParameterizedTest
    @MethodSource("shipped")
    void mergesOntoTheDefaultsAndValidates(Path file) {
        assertThat(load(file).training().steps()).isPositive();
    }

    /** configs/fsdd.yaml trains on representation c1, as its comment and docs/RESULTS.md say. */
    @Test
    void fsddUsesTheAudioSettingsOfRepresentationC1() {
        TrainConfig fsdd = load(Path.of("configs", "fsdd.yaml"));
        TrainConfig c1 = load(Path.of("configs", "audio", "c1-64x64.yaml"));
        assertThat(fsdd.audio()).isEqualTo(c1.audio());
        assertThat(fsdd.model().classes()).isEqualTo(10);
        assertThat(fsdd.training().steps()).isEqualTo(2400);
    }
}

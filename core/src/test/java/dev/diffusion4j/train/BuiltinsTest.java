package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion4j.testing.BuiltinModels;
import dev.diffusion4j.testing.Skips;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in models' copies in the cache: one per content of their description, so a new build never opens a stale one. */
class BuiltinsTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theCachedCopyIsNamedByTheConfigurationAndTheStateBoth() {
        byte[] state = utf8("{\"step\":2000}");
        String before = Builtins.stamp(List.of(utf8("{\"sampling\":null}"), state));
        assertThat(Builtins.stamp(List.of(utf8("{\"sampling\":{\"guidance\":1.75}}"), state)))
                .as("a build whose configuration alone changed (a new default guidance) gets its own copy").isNotEqualTo(before);
        assertThat(Builtins.stamp(List.of(utf8("{\"sampling\":null}"), utf8("{\"step\":2001}")))).isNotEqualTo(before);
        assertThat(Builtins.stamp(List.of(utf8("ab"), utf8("c")))).as("the files' boundaries count")
                .isNotEqualTo(Builtins.stamp(List.of(utf8("a"), utf8("bc"))));
        assertThat(Builtins.stamp(List.of(utf8("{\"sampling\":null}"), state))).isEqualTo(before).hasSize(16);
    }

    @Test
    void theCopyHoldsThisBuildsFiles(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Path copy = Builtins.directory("builtin:mnist");
            assertThat(copy.getParent()).isEqualTo(dir.resolve("cache").resolve("models"));
            for (String f : List.of("config.json", "state.json", "ema.safetensors")) {
                assertThat(Files.readAllBytes(copy.resolve(f))).as(f).isEqualTo(resource("mnist", f));
            }
            assertThat(Builtins.directory("builtin:mnist")).as("copied once").isEqualTo(copy);
        });
        assertThatThrownBy(() -> Builtins.directory("builtin:nothing")).isInstanceOf(IOException.class)
                .hasMessage("builtin:nothing: no such built-in model in this build");
    }

    private static byte[] resource(String name, String file) throws IOException {
        try (InputStream in = BuiltinsTest.class.getResourceAsStream("/dev/diffusion4j/models/" + name + "/" + file)) {
            return in.readAllBytes();
        }
    }
}

package dev.diffusion4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A durable atomic write leaves the whole new file or the old one, and nothing beside it. */
class AtomicFilesTest {
    @Test
    void writesDurablyAndKeepsTheOldFileWhenTheWriterFails(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.bin");
        AtomicFiles.writeDurably(f, out -> out.write("first".getBytes(StandardCharsets.US_ASCII)));
        assertThat(Files.readString(f)).isEqualTo("first");
        byte[] big = new byte[300_000];
        big[big.length - 1] = 7;
        AtomicFiles.writeDurably(f, out -> out.write(big));
        assertThat(Files.readAllBytes(f)).isEqualTo(big);
        assertThatThrownBy(() -> AtomicFiles.writeDurably(f, out -> {
            out.write(1);
            throw new IOException("disk full");
        })).hasMessage(f + ": disk full");
        assertThat(Files.readAllBytes(f)).as("the old file stays whole").isEqualTo(big);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactly("a.bin");
        }
        assertThatThrownBy(() -> AtomicFiles.writeDurably(dir.resolve("no/such/b.bin"), out -> {}))
                .hasMessageContaining("does not exist");
    }
}

package dev.diffusion4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The copies of a network configuration with one field changed, as the tests of the shipped recipes compare them. */
class UNetConfigTest {
    private static final UNetConfig WIDE = new UNetConfig(28, 1, 32, List.of(1, 2, 2), 2, List.of(7), 2, 0.1, 8, 0, 28);

    @Test
    void withClassesChangesTheClassCountAlone() {
        UNetConfig conditional = WIDE.withClasses(10);
        assertThat(conditional.classes()).isEqualTo(10);
        assertThat(conditional.conditional()).isTrue();
        assertThat(conditional).usingRecursiveComparison().ignoringFields("classes").isEqualTo(WIDE);
        assertThat(conditional.withClasses(0)).isEqualTo(WIDE);
    }

    @Test
    void withBaseChannelsChangesTheWidthAloneAndIsValidatedAsAnyConfiguration() {
        UNetConfig narrow = WIDE.withBaseChannels(16);
        assertThat(narrow.baseChannels()).isEqualTo(16);
        assertThat(narrow).usingRecursiveComparison().ignoringFields("baseChannels").isEqualTo(WIDE);
        assertThatThrownBy(() -> WIDE.withBaseChannels(15)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.baseChannels");
    }
}

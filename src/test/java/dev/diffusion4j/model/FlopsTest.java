package dev.diffusion4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The analytic FLOP count against a count by hand. */
class FlopsTest {
    @Test
    void countsASmallUNetByHand() {
        // 8x8x1, base 8 (time embedding 32), one level, no attention outside the middle
        UNetConfig c = new UNetConfig(8, 1, 8, List.of(1), 1, List.of(), 1, 0, 4);
        long hw = 64;
        long time = 2 * (8 * 32 + 32 * 32);
        long in = 2 * 1 * 8 * 9 * hw;
        long res88 = 2 * (2 * 8 * 8 * 9 * hw) + 2 * 32 * 8;
        long attn = 2 * 8 * 24 * hw + 2 * (2 * hw * hw * 8) + 2 * 8 * 8 * hw;
        long res16to8 = 2 * 16 * 8 * 9 * hw + 2 * 32 * 8 + 2 * 8 * 8 * 9 * hw + 2 * 16 * 8 * hw;
        long out = 2 * 8 * 1 * 9 * hw;
        long expected = time + in + res88 + (2 * res88 + attn) + 2 * res16to8 + out;
        assertThat(expected).isEqualTo(1_104_896L);
        assertThat(Flops.forwardPerImage(c)).isEqualTo(expected);
    }

    @Test
    void defaultModelCostsAboutHalfAGigaflopPerImage() {
        long f = Flops.forwardPerImage(UNetConfig.mnist());
        // the 1.1 M parameter default model: dominated by the 3x3 convolutions at 28x28 and 14x14
        assertThat(f).isBetween(300_000_000L, 700_000_000L);
    }
}

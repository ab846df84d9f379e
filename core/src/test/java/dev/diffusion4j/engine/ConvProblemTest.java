package dev.diffusion4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** oneDNN's verbose notation for a convolution, as the probes under scripts/probes/ read it. */
class ConvProblemTest {
    @Test
    void readsTheProblemOutOfAVerboseLogLine() {
        String line = "onednn_verbose,exec,cpu,convolution,brgconv:avx512_core,forward_training,src_f32::blocked:abcd::f0"
                + " wei_f32::blocked:abcd::f0,,alg:convolution_direct,mb64_ic32oc64_ih28oh14kh3sh2dh0ph1_iw28ow14kw3sw2dw0pw1,0.71";
        ConvProblem p = ConvProblem.find(line).orElseThrow();
        assertThat(p).isEqualTo(new ConvProblem(64, 32, 64, 28, 3, 2, 1));
        assertThat(p.outputSize()).isEqualTo(14);
        assertThat(p.inputShape()).isEqualTo(new Shape(64, 32, 28, 28));
        assertThat(p.weightShape()).isEqualTo(new Shape(64, 32, 3, 3));
        assertThat(p.strideShape()).isEqualTo(new Shape(2, 2));
        assertThat(p.padShape()).isEqualTo(new Shape(1, 1));
        assertThat(p.notation()).isEqualTo("mb64_ic32oc64_ih28oh14kh3sh2dh0ph1");
    }

    @Test
    void aLineWithoutAProblemHasNone() {
        assertThat(ConvProblem.find("# the 22 convolutions of a training step at batch 64")).isEqualTo(Optional.empty());
        assertThat(ConvProblem.find("")).isEmpty();
    }

    @Test
    void anOutputHeightThatDoesNotFollowIsAnError() {
        assertThatThrownBy(() -> ConvProblem.find("mb2_ic8oc8_ih8oh7kh3sh1dh0ph1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mb2_ic8oc8_ih8oh7kh3sh1dh0ph1").hasMessageContaining("give 8");
    }

    /**
     * Every problem of the probes' shape lists reads, and writes back as it was written: the 131 of the bisection
     * (docs/ENGINE.md) and the 22 of the default UNet's training step at batch 64 (docs/PERFORMANCE.md).
     */
    @ParameterizedTest
    @CsvSource({"conv-shapes.txt, 131", "unet-conv-shapes-b64.txt, 22"})
    void theShippedShapeListsRoundTrip(String file, int expected) throws IOException {
        int problems = 0;
        for (String line : Files.readAllLines(Path.of("scripts", "probes", file))) {
            Optional<ConvProblem> p = ConvProblem.find(line);
            if (p.isPresent()) {
                assertThat(line).contains(p.get().notation());
                problems++;
            }
        }
        assertThat(problems).isEqualTo(expected);
    }
}

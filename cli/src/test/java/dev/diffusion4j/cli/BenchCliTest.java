package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diffusion4j.engine.NativeMemory;
import dev.diffusion4j.engine.OneDnn;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench on a tiny model: every figure is there, finite and positive, and the ratios come last. */
class BenchCliTest {
    @Test
    void measuresEveryFigureOnATinyModel(@TempDir Path dir) throws Exception {
        Path yaml = tinyConfig(dir, "", "");
        Path json = dir.resolve("bench.json");
        CliRunner.Result r = CliRunner.run("bench", "--model", yaml.toString(), "--repeats", "1", "--warmup", "0", "--memory-steps", "3",
                "--sample-batches", "1,2", "--json", json.toString());
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        JsonNode figures = new ObjectMapper().readTree(json.toFile()).get("figures");
        for (String key : new String[] {"peak_gflops", "peak_matmul_gflops", "peak_conv_gflops", "peak_conv_gflops_end", "train_step_ms",
            "train_gflops", "train_ratio_to_peak", "sample_step_ms_b1", "sample_ratio_to_peak_b2", "rss_after_warmup_mb",
            "rss_after_steps_mb", "rss_growth_percent", "model_forward_mflop_per_image"}) {
            assertThat(figures.has(key)).as(key).isTrue();
            assertThat(figures.get(key).get("value").asDouble()).as(key).isFinite();
        }
        assertThat(figures.get("train_ratio_to_peak").get("value").asDouble()).isPositive();
        assertThat(figures.get("peak_gflops").get("value").asDouble()).isGreaterThanOrEqualTo(figures.get("peak_conv_gflops").get("value").asDouble());
        // the other instruction-set setting's peak comes from a child JVM: the AVX2-capped one where the tests run uncapped
        // (the default, -Dtest.onednn.isa=DEFAULT), the uncapped one where they run capped
        String other = OneDnn.capped() ? "peak_uncapped_gflops" : "peak_capped_avx2_gflops";
        assertThat(figures.get(other).get("value").asDouble()).as(other).isPositive();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines[lines.length - 2]).startsWith("sample_ratio_to_peak_b2");
        assertThat(r.out()).contains(NativeMemory.status());
        assertThat(CliRunner.run("bench", "--repeats", "0").code()).isEqualTo(2);
    }

    /** A class-conditional config (configs/fsdd.yaml is one) is benchmarked on random images with random labels. */
    @Test
    void measuresAClassConditionalModel(@TempDir Path dir) throws Exception {
        Path yaml = tinyConfig(dir, ", classes: 3", ", labelDropout: 0.1");
        CliRunner.Result r = CliRunner.run("bench", "--model", yaml.toString(), "--repeats", "1", "--warmup", "0", "--memory-steps", "0",
                "--sample-batches", "2");
        assertThat(r.code()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("train_step_ms").contains("sample_step_ms_b2");
    }

    /** A tiny UNet and batch, with extra model and training keys (each starting with ", "). */
    private static Path tinyConfig(Path dir, String modelExtra, String trainingExtra) throws Exception {
        Path yaml = dir.resolve("tiny.yaml");
        Files.writeString(yaml, String.join("\n",
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4" + modelExtra + "}",
                "diffusion: {timesteps: 20}",
                "training: {batchSize: 4, warmupSteps: 1" + trainingExtra + "}",
                ""));
        return yaml;
    }

    @Test
    void theAllocatorIsTunedOnceOnLinuxWithGlibc() {
        String first = NativeMemory.tune();
        assertThat(NativeMemory.tune()).isSameAs(first);
        if (System.getProperty("os.name").toLowerCase().contains("linux") && Files.exists(Path.of("/lib/x86_64-linux-gnu/libc.so.6"))) {
            assertThat(first).contains("mallopt");
        }
        assertThat(NativeMemory.residentBytes()).isPositive();
    }
}

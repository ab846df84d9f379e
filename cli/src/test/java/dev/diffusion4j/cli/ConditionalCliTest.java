package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.train.Configs;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A class-conditional run through the command line: an image folder with a subfolder per class. */
class ConditionalCliTest {
    @TempDir
    static Path dir;

    static Path run;

    @BeforeAll
    static void trainATinyConditionalModel() throws Exception {
        Path images = dir.resolve("shapes");
        for (int i = 0; i < 8; i++) {
            String cls = i % 2 == 0 ? "circle" : "square";
            Files.createDirectories(images.resolve(cls));
            BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
            img.getRaster().setSample(i % 8, i % 2 == 0 ? 1 : 6, 0, 255);
            ImageIO.write(img, "png", images.resolve(cls).resolve(i + ".png").toFile());
        }
        Files.writeString(dir.resolve("cond.yaml"), String.join("\n",
                "data: images:" + images,
                "model: {imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4, classes: 2}",
                "diffusion: {timesteps: 50}",
                "training: {steps: 3, batchSize: 4, warmupSteps: 1, labelDropout: 0.2}",
                "output: {logEvery: 1, sampleEvery: 0, checkpointEvery: 3, samples: 4, sampleSteps: 3}",
                "sampling: {guidance: 2.25}",
                ""));
        run = dir.resolve("run");
        CliRunner.Result r = CliRunner.run("train", "--config", dir.resolve("cond.yaml").toString(), "--out", run.toString());
        assertThat(r.code()).as(r.err() + r.out()).isZero();
    }

    @Test
    void theRunStoresItsClassNamesAndSamplesAskedClasses() throws Exception {
        ObjectNode config = (ObjectNode) Configs.JSON.readTree(run.resolve("config.json").toFile());
        assertThat(config.get("classNames").toString()).isEqualTo("[\"circle\",\"square\"]");
        assertThat(config.at("/sampling/guidance").asDouble()).as("the model's own guidance, from its configuration").isEqualTo(2.25);
        Path one = dir.resolve("squares.png");
        CliRunner.Result s = CliRunner.run("sample", "--checkpoint", run.toString(), "--class", "square", "--num", "4", "--sampler", "ddim",
                "--steps", "3", "--guidance", "2", "--out", one.toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).contains("4 each of square, guidance 2)");
        assertThat(ImageIO.read(one.toFile()).getWidth()).isEqualTo(2 * 18 + 2);
        Path all = dir.resolve("all.png");
        CliRunner.Result a = CliRunner.run("sample", "--checkpoint", run.toString(), "--class", "all", "--num", "3", "--sampler", "ddim",
                "--steps", "3", "--out", all.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).as("no --guidance: the model's").contains("guidance 2.25)");
        BufferedImage grid = ImageIO.read(all.toFile());
        assertThat(grid.getHeight()).as("one row per class").isEqualTo(2 * 18 + 2);
        assertThat(grid.getWidth()).as("three per row and the row names").isGreaterThan(3 * 18 + 2);
        CliRunner.Result byIndex = CliRunner.run("sample", "--checkpoint", run.toString(), "--class", "0,1", "--num", "1", "--sampler", "ddim",
                "--steps", "3", "--out", dir.resolve("two.npy").toString());
        assertThat(byIndex.code()).as(byIndex.err()).isZero();
    }

    @Test
    void anUnknownOrOutOfRangeClassIsOneLineAndExitTwo() {
        for (String bad : new String[] {"triangle", "2", "-1"}) {
            CliRunner.Result r = CliRunner.run("sample", "--checkpoint", run.toString(), "--class", bad, "--out", dir.resolve("x.png").toString());
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("diffusion4j: error: --class " + bad + ": not a class of this model (0..1 or circle, square)");
        }
        assertThat(dir.resolve("x.png")).doesNotExist();
    }
}

package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScheduleCommandTest {
    static CliRunner.Result run(String... args) {
        return CliRunner.run(args);
    }

    @Test
    void writesEveryTimestepWithTheExactHeaderAndFullPrecision(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("cosine.csv");
        Path png = dir.resolve("cosine.png");
        CliRunner.Result r = run("schedule", "--schedule", "cosine", "--steps", "1000", "--out", csv.toString(), "--plot", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.get(0)).isEqualTo("t,beta,alpha,alpha_bar,alpha_bar_prev,sqrt_alpha_bar,sqrt_one_minus_alpha_bar,"
                + "posterior_variance,posterior_log_variance_clipped,posterior_mean_coef1,posterior_mean_coef2,snr,loss_weight");
        assertThat(lines).hasSize(1001);
        NoiseSchedule s = NoiseSchedule.of(BetaSchedule.COSINE, 1000);
        for (int t = 1; t <= 1000; t++) {
            String[] f = lines.get(t).split(",");
            assertThat(f).hasSize(13);
            assertThat(Integer.parseInt(f[0])).isEqualTo(t);
            double[] want = s.row(t).values();
            for (int c = 0; c < want.length; c++) {
                assertThat(Double.parseDouble(f[c + 1])).as("t=%d column %d", t, c + 1).isEqualTo(want[c]);
                String mantissa = f[c + 1].replaceFirst("^-", "").replaceFirst("e.*$", "").replace(".", "");
                assertThat(mantissa.length()).isGreaterThanOrEqualTo(12);
            }
        }
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(520);
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("cosine.csv", "cosine.png");
    }

    @Test
    void badOptionsGiveOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        String out = dir.resolve("x.csv").toString();
        for (String[] args : new String[][] {
            {"schedule", "--steps", "0", "--out", out},
            {"schedule", "--steps", "-5", "--out", out},
            {"schedule", "--schedule", "quadratic", "--out", out},
            {"schedule", "--steps", "ten", "--out", out},
            {"schedule"},
            {"schedule", "--out", dir.resolve("missing-dir/x.csv").toString()},
            {"schedule", "--schedule", "file:" + dir.resolve("nope.txt"), "--out", out},
            {"schedule", "--out", out, "--plot", dir.resolve("missing-dir/x.png").toString()},
            {"no-such-command"},
        }) {
            CliRunner.Result r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().strip()).as(String.join(" ", args)).startsWith("diffusion4j: error: ").doesNotContain("\n");
        }
        assertThat(run("schedule", "--schedule", "quadratic", "--out", out).err()).contains("quadratic");
        assertThat(run("schedule", "--out", dir.resolve("missing-dir/x.csv").toString()).err()).contains("missing-dir");
        assertThat(dir.toFile().list()).as("nothing written by a refused run").isEmpty();
    }

    @Test
    void fileSchedulesTakeTheirLength(@TempDir Path dir) throws Exception {
        Path betas = dir.resolve("b.txt");
        Files.writeString(betas, "0.01\n0.02\n0.03\n");
        Path csv = dir.resolve("b.csv");
        CliRunner.Result r = run("schedule", "--schedule", "file:" + betas, "--out", csv.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllLines(csv)).hasSize(4);
    }

    @Test
    void versionAndHelp() {
        CliRunner.Result v = run("--version");
        assertThat(v.code()).isZero();
        // the versions the build declares (filtered into a resource from pom.xml), and the ones that actually run
        java.util.Properties built = dev.diffusion4j.Versions.properties();
        assertThat(built.getProperty("djl")).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(v.out()).contains("diffusion4j " + built.getProperty("version"))
                .contains("Deep Java Library " + built.getProperty("djl")).contains("PyTorch " + built.getProperty("pytorch"));
        dev.diffusion4j.engine.Djl.engine();
        assertThat(ai.djl.engine.Engine.getDjlVersion()).isEqualTo(built.getProperty("djl"));
        assertThat(ai.djl.engine.Engine.getEngine("PyTorch").getVersion()).isEqualTo(built.getProperty("pytorch"));
        CliRunner.Result h = run("--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("schedule").contains("doctor");
        assertThat(run("schedule", "--help").out()).contains("--steps").contains("--plot");
    }
}

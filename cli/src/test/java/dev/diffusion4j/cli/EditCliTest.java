package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.io.Npy;
import dev.diffusion4j.testing.BuiltinModels;
import dev.diffusion4j.testing.Skips;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inpaint, edit, invert and interpolate on the built-in model, through the command line, and their one-line errors. */
class EditCliTest {
    private static void ok(CliRunner.Result r) {
        assertThat(r.code()).as(r.err() + r.out()).isZero();
    }

    @Test
    void theFourEditingCommandsRunOnTheBuiltInModel(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Path threes = dir.resolve("threes.npy");
            ok(CliRunner.run("sample", "--class", "3", "--num", "4", "--steps", "5", "--out", threes.toString()));
            Path filled = dir.resolve("filled.npy");
            CliRunner.Result r = CliRunner.run("inpaint", "--samples", threes.toString(), "--mask", "bottom-half", "--class", "8", "--steps", "5",
                    "--out", filled.toString());
            ok(r);
            assertThat(r.out()).contains("4 image(s) inpainted (dpm-solver++, 392 of 784 pixels known)");
            byte[] in = Npy.read(threes).data();
            byte[] out = Npy.read(filled).data();
            for (int i = 0; i < in.length; i++) {
                if (i % 784 < 392) {
                    assertThat(out[i]).as("known pixel %d kept", i).isEqualTo(in[i]);
                }
            }
            CliRunner.Result inferred = CliRunner.run("inpaint", "--samples", threes.toString(), "--mask", "random:0.3", "--infer-class",
                    "--class-trials", "10", "--steps", "5", "--out", dir.resolve("inferred").toString());
            ok(inferred);
            assertThat(inferred.out()).as("70% of each 3 known").contains("class inferred from the known region: 3 3 3 3");
            assertThat(dir.resolve("inferred").resolve("sample-00002-3.png")).as("completed as the class inferred").isRegularFile();
            ok(CliRunner.run("inpaint", "--samples", threes.toString(), "--mask", "center", "--repaint", "--repaint-steps", "10", "--jump-length",
                    "3", "--jump-count", "2", "--out", dir.resolve("repaint.png").toString()));
            assertThat(dir.resolve("repaint.png")).isRegularFile();

            ok(CliRunner.run("edit", "--samples", threes.toString(), "--strength", "0", "--out", dir.resolve("same.npy").toString()));
            assertThat(Npy.read(dir.resolve("same.npy")).data()).as("strength 0 is the identity").isEqualTo(in);
            CliRunner.Result edited = CliRunner.run("edit", "--samples", threes.toString(), "--strength", "0.5", "--class", "8", "--steps", "6",
                    "--out", dir.resolve("edited").toString());
            ok(edited);
            assertThat(dir.resolve("edited").resolve("sample-00003-8.png")).as("files named after the class edited toward").isRegularFile();
            ok(CliRunner.run("edit", "--samples", threes.toString(), "--strength", "0.5", "--class", "8", "--steps", "6",
                    "--out", dir.resolve("edited.png").toString()));
            assertThat(Files.readAllBytes(dir.resolve("edited").resolve("rows.png"))).as("a directory's rows.png is the picture --out FILE.png writes")
                    .isEqualTo(Files.readAllBytes(dir.resolve("edited.png")));
        });
    }

    @Test
    void invertInterpolateAndErrors(@TempDir Path dir) throws Exception {
        Skips.unless(BuiltinModels.mnistPresent(), "models/mnist is not in this build");
        BuiltinModels.withCache(dir, () -> {
            Path pngs = dir.resolve("pngs");
            ok(CliRunner.run("sample", "--class", "1,7", "--num", "1", "--steps", "5", "--out", pngs.toString()));
            Path one = pngs.resolve("sample-00000-1.png");
            Path seven = pngs.resolve("sample-00001-7.png");
            CliRunner.Result inv = CliRunner.run("invert", "--image", seven.toString(), "--steps", "10", "--out", dir.resolve("inv.png").toString());
            ok(inv);
            assertThat(inv.out()).containsPattern("inverted and decoded with DDIM 10: PSNR \\d+\\.\\d\\d dB");
            CliRunner.Result strip = CliRunner.run("interpolate", one.toString(), seven.toString(), "--frames", "4", "--steps", "5", "--class", "1,7",
                    "--out", dir.resolve("strip.npy").toString());
            ok(strip);
            assertThat(Npy.read(dir.resolve("strip.npy")).shape()).containsExactly(4, 1, 28, 28);

            CliRunner.Result badMask = CliRunner.run("inpaint", "--image", one.toString(), "--mask", "middle", "--out", dir.resolve("x.png").toString());
            assertThat(badMask.code()).isEqualTo(2);
            assertThat(badMask.err()).startsWith("diffusion4j: error: mask 'middle' is not a PNG nor one of bottom-half");
            CliRunner.Result both = CliRunner.run("inpaint", "--image", one.toString(), "--mask", "center", "--class", "1", "--infer-class", "--out",
                    dir.resolve("x.png").toString());
            assertThat(both.code()).isEqualTo(2);
            assertThat(both.err().strip()).isEqualTo("diffusion4j: error: give at most one of --class and --infer-class");
            CliRunner.Result badClass = CliRunner.run("edit", "--image", one.toString(), "--strength", "0.5", "--class", "eleven", "--out",
                    dir.resolve("x.png").toString());
            assertThat(badClass.code()).isEqualTo(2);
            assertThat(badClass.err().strip()).startsWith("diffusion4j: error: --class eleven: not a class of this model");
            CliRunner.Result missing = CliRunner.run("edit", "--image", dir.resolve("nope.png").toString(), "--strength", "0.5", "--out",
                    dir.resolve("x.png").toString());
            assertThat(missing.code()).isEqualTo(2);
            assertThat(missing.err().strip()).isEqualTo("diffusion4j: error: " + dir.resolve("nope.png") + ": no such file");
            CliRunner.Result strength = CliRunner.run("edit", "--image", one.toString(), "--strength", "1.5", "--out", dir.resolve("x.png").toString());
            assertThat(strength.code()).isEqualTo(2);
            assertThat(strength.err().strip()).isEqualTo("diffusion4j: error: --strength must be in [0, 1], got 1.5");
        });
    }
}

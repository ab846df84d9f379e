package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diffusion4j.data.Wav;
import dev.diffusion4j.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train on a folder of WAVs, sample sound from it, and the mel round trip, through the command line. */
class AudioCliTest {
    /** A configuration for two training steps on {@code wavs} with the given model and audio sections, T = 20. */
    private static Path tinyConfig(Path yaml, Path wavs, String model, String audio) throws Exception {
        return Files.writeString(yaml, String.join("\n",
                "data: wav:" + wavs,
                "model: " + model,
                "audio: " + audio,
                "diffusion: {timesteps: 20}",
                "training: {steps: 2, batchSize: 4, warmupSteps: 1}",
                "output: {logEvery: 1, sampleEvery: 0, checkpointEvery: 2, samples: 4, sampleSteps: 3}",
                ""));
    }

    /** {@code train --config yaml --out run}, which must succeed. */
    private static CliRunner.Result trains(Path yaml, Path run) {
        CliRunner.Result t = CliRunner.run("train", "--config", yaml.toString(), "--out", run.toString());
        assertThat(t.code()).as(t.err() + t.out()).isZero();
        return t;
    }

    @Test
    void trainsOnWavsAndSamplesSound(@TempDir Path dir) throws Exception {
        Path wavs = TestData.tones(dir.resolve("wavs"), 3, 400, 400, 1200);
        Path yaml = tinyConfig(dir.resolve("tiny-audio.yaml"), wavs,
                "{imageSize: 8, channels: 1, baseChannels: 8, channelMults: [1, 2], attentionResolutions: [4], normGroups: 4}",
                "{nFft: 64, hop: 16, window: 64, nMels: 8, frames: 8, griffinLimIters: 4}");
        Path run = dir.resolve("run");
        CliRunner.Result t = trains(yaml, run);
        assertThat(t.out()).contains("(6 images)"); // indices 5-7 of two digits
        var audio = Checkpoint.open(run).config().audio();
        assertThat(audio.hasStats()).as("the log-mel range is stored in the checkpoint").isTrue();
        try (var previews = Files.list(run.resolve("samples"))) {
            List<String> names = previews.map(p -> p.getFileName().toString()).sorted().toList();
            String last = names.stream().filter(n -> n.endsWith(".png")).reduce((a, b) -> b).orElseThrow().replace(".png", "");
            assertThat(names).as("a preview grid of sound comes with its clips").contains(last + "-0.wav", last + "-3.wav");
            assertThat(Wav.read(run.resolve("samples").resolve(last + "-0.wav")).samples()).hasSize(audio.clipSamples());
        }

        Path out = dir.resolve("samples");
        CliRunner.Result s = CliRunner.run("sample", "--checkpoint", run.toString(), "--sampler", "ddim", "--steps", "3", "--num", "2",
                "--out", out.toString());
        assertThat(s.code()).as(s.err()).isZero();
        Wav w = Wav.read(out.resolve("sample-00001.wav"));
        assertThat(w.sampleRate()).isEqualTo(8000);
        assertThat(w.samples()).hasSize(audio.clipSamples());
        assertThat(out.resolve("sample-00001.png")).exists();
        assertThat(out.resolve("grid.png")).exists();

        CliRunner.Result m = CliRunner.run("mel", wavs.resolve("0_tester_0.wav").toString(), wavs.resolve("1_tester_0.wav").toString(),
                "--checkpoint", run.toString(), "--out", dir.resolve("mel").toString());
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(m.out()).containsPattern("spectral convergence 0\\.\\d{4} \\(mel round trip\\)").contains("mean over 2 files");
        assertThat(dir.resolve("mel/1_tester_0-roundtrip.wav")).exists();
        assertThat(dir.resolve("mel/1_tester_0-mel.png")).exists();
        assertThat(dir.resolve("mel/1_tester_0-roundtrip-mel.png")).as("the round-tripped clip analysed again").exists();

        Files.writeString(wavs.resolve("1_tester_9.wav"), "broken");
        CliRunner.Result bad = CliRunner.run("train", "--config", yaml.toString(), "--out", dir.resolve("run2").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains(wavs.resolve("1_tester_9.wav").toString());
        assertThat(dir.resolve("run2/checkpoints")).doesNotExist();
    }

    @Test
    void nonSquareClassConditionalSoundSizedFromTheAudioSettingsAlone(@TempDir Path dir) throws Exception {
        Path wavs = TestData.tones(dir.resolve("wavs"), 4, 300, 500, 1500);
        // no model.imageSize: 16 mel bands x 8 frames size the network (16 high, 8 wide)
        Path yaml = tinyConfig(dir.resolve("wide.yaml"), wavs,
                "{baseChannels: 8, channelMults: [1, 2], attentionResolutions: [8], normGroups: 4, classes: 2}",
                "{nFft: 64, hop: 16, window: 64, nMels: 16, frames: 8, griffinLimIters: 4}");
        Path run = dir.resolve("run");
        trains(yaml, run);
        var config = Checkpoint.open(run).config();
        assertThat(config.model().height()).isEqualTo(16);
        assertThat(config.model().width()).isEqualTo(8);
        assertThat(config.classNames()).containsExactly("zero", "one");
        Path out = dir.resolve("ones");
        CliRunner.Result s = CliRunner.run("sample", "--checkpoint", run.toString(), "--class", "one", "--num", "2", "--sampler", "dpm-solver++",
                "--steps", "3", "--out", out.toString());
        assertThat(s.code()).as(s.err()).isZero();
        Wav w = Wav.read(out.resolve("sample-00001-one.wav")); // named after the class drawn
        assertThat(w.samples()).hasSize(config.audio().clipSamples());
        java.awt.image.BufferedImage mel = javax.imageio.ImageIO.read(out.resolve("sample-00000-one.png").toFile());
        assertThat(mel.getHeight()).as("16 mel bands, scaled 4x").isEqualTo(64);
        assertThat(mel.getWidth()).as("8 frames, scaled 4x").isEqualTo(32);
        CliRunner.Result npy = CliRunner.run("sample", "--checkpoint", run.toString(), "--num", "3", "--steps", "3", "--out",
                dir.resolve("wide.npy").toString());
        assertThat(npy.code()).as(npy.err()).isZero();
        byte[] a = Files.readAllBytes(dir.resolve("wide.npy"));
        assertThat(new String(a, 10, 80, java.nio.charset.StandardCharsets.US_ASCII)).contains("'shape': (3, 1, 16, 8)");

        // scored from the sound: a classifier of the run's representation, FID of samples through WAV and back, and of WAV files
        Path clf = dir.resolve("clf.safetensors");
        CliRunner.Result c = CliRunner.run("eval", "train-classifier", "--data", "wav:" + wavs, "--checkpoint", run.toString(), "--epochs", "1",
                "--batch", "4", "--out", clf.toString());
        assertThat(c.code()).as(c.err()).isZero();
        CliRunner.Result f = CliRunner.run("eval", "fid", "--checkpoint", run.toString(), "--classifier", clf.toString(), "--data", "wav:" + wavs,
                "--num", "4", "--sampler", "ddim", "--steps", "3");
        assertThat(f.code()).as(f.err()).isZero();
        assertThat(f.out()).contains("scored from the WAV signals").contains("FID (diffusion4j");
        // and the figures went into the run as TensorBoard scalars at the checkpoint's step, in an event file of their own
        Path events = Path.of(f.out().substring(f.out().indexOf("at step 2: ") + "at step 2: ".length()).strip());
        assertThat(events.getParent()).isEqualTo(run);
        String records = new String(String.join("", dev.diffusion4j.io.TensorBoardEvents.read(events).records().stream()
                .map(r -> new String(r, java.nio.charset.StandardCharsets.ISO_8859_1)).toList()));
        assertThat(records).contains("eval/DDIM-3/fid").contains("eval/DDIM-3/fid_floor_train_vs_test").contains("eval/DDIM-3/confidence");
        CliRunner.Result fw = CliRunner.run("eval", "fid", "--samples", out.toString(), "--classifier", clf.toString(), "--data", "wav:" + wavs,
                "--num", "2");
        assertThat(fw.code()).as(fw.err()).isZero();
        assertThat(fw.out()).contains("(2 WAV files, analysed again, classes from their names)").contains("classifier accuracy on the requested classes");

        // eval edit on sound: a span in seconds (500 frames per second: frames 2-5), each clip completed as its own class, the clips written
        Path edits = dir.resolve("edits");
        CliRunner.Result e = CliRunner.run("eval", "edit", "--checkpoint", run.toString(), "--classifier", clf.toString(), "--data", "wav:" + wavs,
                "--num", "2", "--mask", "seconds:0.004-0.010", "--true-class", "--steps", "3", "--out", edits.toString());
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("inpainting seconds:0.004-0.010 of 2 test images").contains("each as its true class")
                .contains("accuracy on the true class: completed");
        for (String sub : List.of("original", "masked", "completed")) {
            try (var files = Files.list(edits.resolve(sub))) {
                List<String> wavNames = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".wav")).sorted().toList();
                assertThat(wavNames).as(sub + ": one clip per input, named by its true class").hasSize(2)
                        .allMatch(n -> n.matches("sample-0000[01]-(zero|one)\\.wav"));
                assertThat(Wav.read(edits.resolve(sub).resolve(wavNames.get(0))).samples()).hasSize(config.audio().clipSamples());
            }
        }
        try (var originals = Files.list(edits.resolve("original")); var completed = Files.list(edits.resolve("completed"))) {
            assertThat(completed.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".wav")).sorted().toList())
                    .as("the completions carry their inputs' classes").isEqualTo(
                            originals.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".wav")).sorted().toList());
        }
        CliRunner.Result frames = CliRunner.run("eval", "edit", "--checkpoint", run.toString(), "--classifier", clf.toString(), "--data",
                "wav:" + wavs, "--num", "2", "--mask", "seconds:0.02-0.03", "--steps", "3");
        assertThat(frames.code()).isEqualTo(2);
        assertThat(frames.err().strip()).isEqualTo("diffusion4j: error: mask seconds:0.02-0.03: an empty or reversed span of frames 10-15 of 8");
    }

    @Test
    void melAndRoundTripTakeTheirRepresentationFromAConfigAndDefaultToLinear128By64(@TempDir Path dir) throws Exception {
        Path wavs = TestData.tones(dir.resolve("wavs"), 5, 400, 400, 1200);
        Path clip = wavs.resolve("0_tester_0.wav");
        CliRunner.Result plain = CliRunner.run("mel", clip.toString(), "--out", dir.resolve("plain").toString());
        assertThat(plain.code()).as(plain.err()).isZero();
        java.awt.image.BufferedImage dflt = javax.imageio.ImageIO.read(dir.resolve("plain/0_tester_0-mel.png").toFile());
        assertThat(dflt.getHeight()).as("128 linear bins by default, scaled 4x").isEqualTo(512);
        assertThat(dflt.getWidth()).as("64 frames by default, scaled 4x").isEqualTo(256);

        Path yaml = Files.writeString(dir.resolve("small.yaml"), "audio: {nFft: 64, hop: 16, window: 64, nMels: 8, frames: 12, griffinLimIters: 4}\n");
        CliRunner.Result small = CliRunner.run("mel", clip.toString(), "--config", yaml.toString(), "--out", dir.resolve("small").toString());
        assertThat(small.code()).as(small.err()).isZero();
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(dir.resolve("small/0_tester_0-mel.png").toFile());
        assertThat(img.getHeight()).isEqualTo(8 * 4);
        assertThat(img.getWidth()).isEqualTo(12 * 4);

        CliRunner.Result rt = CliRunner.run("eval", "roundtrip", "--data", "wav:" + wavs, "--config", yaml.toString());
        assertThat(rt.code()).as(rt.err()).isZero();
        assertThat(rt.out()).startsWith("10 test clips; 8 mel bands x 12 frames, nFft 64, hop 16, window 64")
                .containsPattern("the whole way back \\(image -> WAV\\)\\s+spectral convergence 0\\.\\d{4}")
                .doesNotContain("classifier accuracy");

        Path typo = Files.writeString(dir.resolve("typo.yaml"), "audio: {nMelz: 8}\n");
        CliRunner.Result bad = CliRunner.run("mel", clip.toString(), "--config", typo.toString(), "--out", dir.resolve("bad").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("diffusion4j: error: " + typo + ": unknown key 'audio.nMelz'");
        CliRunner.Result both = CliRunner.run("mel", clip.toString(), "--config", yaml.toString(), "--checkpoint", dir.toString(), "--out",
                dir.resolve("both").toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err().strip()).isEqualTo("diffusion4j: error: give --checkpoint or --config, not both");
        CliRunner.Result neither = CliRunner.run("eval", "roundtrip", "--data", "wav:" + wavs, "--griffin-lim-iters", "2");
        assertThat(neither.code()).as(neither.err()).isZero();
        assertThat(neither.out()).startsWith("10 test clips; 128 linear bins x 64 frames, nFft 256, hop 128, window 256; Griffin-Lim");
    }
}

package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.MelSpectrogram;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.eval.RoundTrip;
import dev.diffusion4j.io.ImageFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffusion4j mel}: real WAV → log-mel image → WAV, with the spectral convergence of the round trip. */
@Command(name = "mel", mixinStandardHelpOptions = true,
        description = "Turn WAV files into the 8-bit log-mel images a model sees, and back into sound (NNLS to linear power, "
                + "then Griffin-Lim). Prints the spectral convergence ||S - S'||/||S|| of each round trip, against the STFT "
                + "magnitude of the clip, and of Griffin-Lim alone from the true magnitude.")
public final class MelCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE.wav", description = "WAV files.")
    private List<Path> files;

    /** The audio settings (without a run's log-mel range, each clip is mapped from the log floor to its own maximum). */
    @Mixin
    private SharedOptions.AudioSettingsOption settings = new SharedOptions.AudioSettingsOption();

    @Option(names = "--out", required = true, description = "Directory for NAME-mel.png, NAME-roundtrip.wav and NAME-roundtrip-mel.png (the round trip analysed again).")
    private Path out;

    /** Seeds Griffin-Lim's initial phases. */
    @Mixin
    private SeedOption seed = new SeedOption(0);

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        AudioConfig base = settings.resolve();
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserInputException(out + ": not a directory");
        }
        List<Wav> wavs = files.stream().map(Wav::read).toList();
        Outputs.requireWritableDirectory(out);
        Files.createDirectories(out);
        Djl.engine();
        MelSpectrogram mel = new MelSpectrogram(base);
        double sumRound = 0;
        double sumGl = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < files.size(); i++) {
                float[] samples = wavs.get(i).resample(base.sampleRate()).samples();
                float[] logMel = mel.logMels(m, new float[][] {samples})[0];
                AudioConfig a = withClipStats(base, logMel);
                byte[] px = new byte[a.pixels()];
                MelImages.toImage(logMel, a, px, 0);
                // the stages eval roundtrip measures: the whole way back, and Griffin-Lim alone from the true magnitude
                RoundTrip.Result r = RoundTrip.measure(samples, logMel, a, Randomness.of(seed.seed).derive("phases").step(i));
                Wav back = new Wav(r.rebuilt(), a.sampleRate());
                sumRound += r.scFull();
                sumGl += r.scPhase();
                writeOutputs(files.get(i), px, back, a, m);
                pw.printf(Locale.ROOT, "%s: spectral convergence %.4f (mel round trip), %.4f (Griffin-Lim alone, %d iterations)%n",
                        files.get(i), r.scFull(), r.scPhase(), a.griffinLimIters());
            }
        }
        if (files.size() > 1) {
            pw.printf(Locale.ROOT, "mean over %d files: %.4f (mel round trip), %.4f (Griffin-Lim alone)%n", files.size(),
                    sumRound / files.size(), sumGl / files.size());
        }
        return 0;
    }

    /** Without a run's statistics, each clip is mapped from the log floor to its own maximum. */
    private static AudioConfig withClipStats(AudioConfig base, float[] logMel) {
        if (base.hasStats()) {
            return base;
        }
        double floor = Math.log(base.logFloor());
        double hi = Double.NEGATIVE_INFINITY;
        for (float v : logMel) {
            hi = Math.max(hi, v);
        }
        return base.withStats(floor, Math.max(hi, floor + 1e-3));
    }

    /** NAME-mel.png, NAME-roundtrip.wav and NAME-roundtrip-mel.png: the round-tripped sound analysed again, as a scored sample would be. */
    private void writeOutputs(Path file, byte[] px, Wav back, AudioConfig a, NDManager m) throws IOException {
        String stem = file.getFileName().toString().replaceFirst("(?i)\\.wav$", "");
        ImageFiles.writePng(out.resolve(stem + "-mel.png"), ImageFiles.scaled(ImageFiles.image(px, 0, 1, a.height(), a.frames()), 4));
        back.write(out.resolve(stem + "-roundtrip.wav"));
        byte[] again = MelImages.analyse(new float[][] {back.samples()}, a, m);
        ImageFiles.writePng(out.resolve(stem + "-roundtrip-mel.png"), ImageFiles.scaled(ImageFiles.image(again, 0, 1, a.height(), a.frames()), 4));
    }
}

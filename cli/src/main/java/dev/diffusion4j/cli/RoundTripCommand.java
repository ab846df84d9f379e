package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.data.MelImages;
import dev.diffusion4j.data.MelSpectrogram;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.StopRequests;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.eval.RoundTrip;
import dev.diffusion4j.train.Configs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j eval roundtrip}: what an audio representation loses on real clips, stage by
 * stage, and whether a classifier still hears the digits afterwards.
 */
@Command(name = "roundtrip", mixinStandardHelpOptions = true,
        description = "Real clips to 8-bit log-mel images and back to WAVs, with the audio settings of --config or of a classifier "
                + "from 'eval train-classifier --data wav:DIR': spectral convergence and log-spectral distance of the mel-to-linear stage, "
                + "of Griffin-Lim alone from the true magnitude, and of the whole way back; then the classifier's accuracy on the "
                + "real clips and on the round-tripped WAVs analysed again, when one is given.")
public final class RoundTripCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--data", required = true, converter = DataSpecConverter.class, description = "wav:DIR; its test split is used.")
    private DataSpec data;

    @Option(names = "--classifier", description = "A classifier trained on this representation (it holds the audio settings and "
            + "scores the clips before and after).")
    private Path classifierFile;

    @Option(names = "--config", paramLabel = "FILE", description = "Take the audio settings from this training configuration's audio "
            + "section (over the defaults) instead of from --classifier; with both, they must describe the same image. With neither, "
            + "the defaults (64 mel bands x 64 frames, hop 128, window 256).")
    private Path configFile;

    @Option(names = "--griffin-lim-iters", description = "Override the settings' Griffin-Lim iterations.")
    private Integer iters;

    @Option(names = "--phase-init", description = "Override the settings' starting phases: RANDOM or ADVANCE.")
    private AudioConfig.PhaseInit phaseInit;

    @Option(names = "--mel-iters", description = "Override the settings' NNLS iterations.")
    private Integer melIters;

    @Option(names = "--out", description = "Also write the round-tripped WAVs here.")
    private Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of random starting phases. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if (!(data instanceof DataSpec.Wav wav)) {
            throw new UserInputException("--data must be wav:DIR");
        }
        if (out != null) {
            Outputs.requireWritableDirectory(out);
            Files.createDirectories(out);
        }
        Djl.engine();
        long start = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = classifierFile == null ? null : ClassifierTraining.load(classifierFile, m);
            AudioConfig a = overridden(settings(c));
            List<Path> files = AudioDatasets.files(wav.dir(), Datasets.Split.TEST);
            AudioDatasets.Loaded loaded = AudioDatasets.load(wav.dir(), Datasets.Split.TEST, a);
            a = loaded.audio();
            ImageDataset real = loaded.images();
            double[][] figures = new double[6][files.size()];
            byte[] rebuiltImages = new byte[files.size() * a.pixels()];
            MelSpectrogram mel = new MelSpectrogram(a);
            for (int i = 0; i < files.size(); i++) {
                float[] wave = Wav.read(files.get(i)).resample(a.sampleRate()).samples();
                RoundTrip.Result r = RoundTrip.measure(wave, mel.logMels(m, new float[][] {wave})[0], a,
                        Randomness.of(seed).derive("phases").step(i));
                double[] f = {r.scMel(), r.lsdMel(), r.scPhase(), r.lsdPhase(), r.scFull(), r.lsdFull()};
                for (int k = 0; k < 6; k++) {
                    figures[k][i] = f[k];
                }
                MelImages.toImage(mel.logMels(m, new float[][] {r.rebuilt()})[0], a, rebuiltImages, i * a.pixels());
                if (out != null) {
                    new Wav(r.rebuilt(), a.sampleRate()).write(out.resolve(files.get(i).getFileName()));
                }
                StopRequests.check("nothing reported");
            }
            ImageDataset rebuilt = new ImageDataset("round-tripped", files.size(), 1, a.height(), a.frames(), rebuiltImages, real.labels());
            report(pw, a, files.size(), figures);
            if (c != null) {
                pw.printf(Locale.ROOT, "  classifier accuracy: real clips %.4f, round-tripped WAVs analysed again %.4f%n",
                        ClassifierTraining.accuracy(c, real, 500, m), ClassifierTraining.accuracy(c, rebuilt, 500, m));
            }
            pw.printf(Locale.ROOT, "  wall time %.1f s%n", (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }

    /**
     * The representation measured: the configuration file's, the classifier's, (both given) the file's phase recovery over
     * the classifier's image, which must be the one the file describes, or (neither) the defaults.
     */
    private AudioConfig settings(ClassifierTraining.Trained c) {
        if (c != null && c.audio() == null) {
            throw new UserInputException(classifierFile + ": not trained on sound (no audio settings in it)");
        }
        if (configFile == null) {
            return c == null ? AudioConfig.defaults() : c.audio();
        }
        AudioConfig f = Configs.audioOf(configFile);
        if (c == null) {
            return f;
        }
        AudioConfig k = c.audio();
        if (f.sampleRate() != k.sampleRate() || f.nFft() != k.nFft() || f.hop() != k.hop() || f.window() != k.window() || f.nMels() != k.nMels() || f.frequency() != k.frequency()
                || f.fMin() != k.fMin() || f.fMax() != k.fMax() || f.frames() != k.frames() || f.logFloor() != k.logFloor()) {
            throw new UserInputException(configFile + ": its audio section describes another image than " + classifierFile
                    + " was trained on (" + f.height() + "x" + f.frames() + " hop " + f.hop() + " against " + k.height() + "x" + k.frames()
                    + " hop " + k.hop() + ")");
        }
        return new AudioConfig(k.sampleRate(), k.nFft(), k.hop(), k.window(), k.nMels(), k.fMin(), k.fMax(), k.frames(), k.logFloor(),
                f.griffinLimIters(), k.logLow(), k.logHigh(), f.phaseInit(), f.melIters(), k.frequency(), f.griffinLimMomentum());
    }

    private AudioConfig overridden(AudioConfig a) {
        return new AudioConfig(a.sampleRate(), a.nFft(), a.hop(), a.window(), a.nMels(), a.fMin(), a.fMax(), a.frames(), a.logFloor(),
                iters != null ? iters : a.griffinLimIters(), a.logLow(), a.logHigh(), phaseInit != null ? phaseInit : a.phaseInit(),
                melIters != null ? melIters : a.melIters(), a.frequency(), a.griffinLimMomentum());
    }

    private static void report(PrintWriter pw, AudioConfig a, int n, double[][] f) {
        boolean mel = a.frequency() == AudioConfig.Frequency.MEL;
        String band = mel ? String.format(Locale.ROOT, ", %.0f-%.0f Hz; NNLS %d iterations", a.fMin(), a.fMax(), a.melIters()) : ";";
        pw.printf(Locale.ROOT, "%d test clips; %s x %d frames, nFft %d, hop %d, window %d%s Griffin-Lim %d iterations from %s phases%n", n,
                a.rows(), a.frames(), a.nFft(), a.hop(), a.window(), mel ? band + "," : band, a.griffinLimIters(),
                a.phaseInit().name().toLowerCase(Locale.ROOT));
        String[] stage = {mel ? "mel image -> linear magnitude (NNLS)" : "image -> magnitude (8-bit levels)", "Griffin-Lim from the true magnitude",
            "the whole way back (image -> WAV)"};
        for (int s = 0; s < 3; s++) {
            double[] sc = meanSd(f[2 * s]);
            double[] lsd = meanSd(f[2 * s + 1]);
            pw.printf(Locale.ROOT, "  %-40s spectral convergence %.4f ± %.4f   log-spectral distance %.2f ± %.2f dB%n", stage[s], sc[0], sc[1],
                    lsd[0], lsd[1]);
        }
    }

    private static double[] meanSd(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean) / Math.max(1, v.length - 1);
        }
        return new double[] {mean, Math.sqrt(var)};
    }
}

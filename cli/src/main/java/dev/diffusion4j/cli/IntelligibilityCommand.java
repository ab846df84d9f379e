package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.StopRequests;
import dev.diffusion4j.eval.Intelligibility;
import dev.diffusion4j.eval.PocketSphinx;
import dev.diffusion4j.eval.Recognizer;
import dev.diffusion4j.train.Configs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j eval intelligibility}: what a speech recogniser understands of real clips, of the ways they take back
 * to sound, or of generated clips.
 */
@Command(name = "intelligibility", mixinStandardHelpOptions = true,
        description = "Run PocketSphinx, restricted to the class names (the spoken digits zero..nine unless --words says "
                + "otherwise), over WAV clips and report how often it names the right one, per word and overall: the test split "
                + "of a folder named like the Free Spoken Digit Dataset (--data), with --stages or --config each of the ways back "
                + "to sound that a real clip can take; or generated clips named as 'sample' writes them, sample-NNNNN-CLASS.wav "
                + "(--samples). Needs Debian's pocketsphinx and pocketsphinx-en-us.")
public final class IntelligibilityCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    static final class Source {
        @Option(names = "--data", required = true, converter = DataSpecConverter.class,
                description = "wav:DIR with files named {digit}_{speaker}_{index}.wav; its test split (indices 0-4) is used.")
        DataSpec data;

        @Option(names = "--samples", required = true, paramLabel = "DIR",
                description = "Generated WAVs named sample-NNNNN-CLASS.wav, as 'sample' writes them with labels.")
        Path samples;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Source source;

    @Option(names = "--stages", description = "With --data: also each stage of the way back to sound (docs/AUDIO.md): the clip cut "
            + "to the model's length, its STFT magnitude through Griffin-Lim alone, and the 8-bit images of several representations "
            + "through the whole way back.")
    private boolean stages;

    @Option(names = "--config", paramLabel = "FILE", description = "With --data: also the whole way back through this training "
            + "configuration's audio section (over the defaults). Repeatable.")
    private List<Path> configs = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N clips (in sorted order).")
    private Integer limit;

    @Option(names = "--words", split = ",", paramLabel = "WORD", description = "The class names in label order. Default: zero..nine.")
    private List<String> words = AudioDatasets.SPOKEN_DIGITS;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write each stage's clips, DIR/STAGE/NAME.wav.")
    private Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of Griffin-Lim's random starting phases. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if (source.samples != null && (stages || !configs.isEmpty())) {
            throw new UserInputException("--stages and --config go with --data (real clips), not --samples");
        }
        if (limit != null && limit < 1) {
            throw new UserInputException("--limit must be at least 1, got " + limit);
        }
        List<Path> files;
        int[] labels;
        if (source.samples != null) {
            files = AudioDatasets.files(source.samples);
            labels = new int[files.size()];
            for (int i = 0; i < files.size(); i++) {
                labels[i] = sampleLabel(files.get(i), words);
            }
        } else {
            if (!(source.data instanceof DataSpec.Wav wav)) {
                throw new UserInputException("--data must be wav:DIR");
            }
            files = AudioDatasets.files(wav.dir(), Datasets.Split.TEST);
            labels = new int[files.size()];
            for (int i = 0; i < files.size(); i++) {
                labels[i] = AudioDatasets.label(files.get(i));
                if (labels[i] < 0 || labels[i] >= words.size()) {
                    throw new UserInputException(files.get(i) + ": no class in its name (expected {digit}_{speaker}_{index}.wav)");
                }
            }
        }
        if (limit != null && limit < files.size()) {
            files = files.subList(0, limit);
            labels = java.util.Arrays.copyOf(labels, limit);
        }
        List<Configured> todo = stagesToRun();
        String why = PocketSphinx.missing().orElse(null);
        if (why != null) {
            throw new UserInputException(why);
        }
        Recognizer recogniser = PocketSphinx.installed();
        List<Wav> clips = files.stream().map(Wav::read).toList();
        if (out != null) {
            Outputs.requireWritableDirectory(out);
        }
        pw.printf(Locale.ROOT, "%d clips of %s; %s%n", clips.size(), source.samples != null ? source.samples : source.data + " (test split)",
                recogniser.describe());
        if (source.data != null) {
            AudioConfig model = todo.size() > 1 ? todo.get(1).stage.audio() : AudioConfig.defaults();
            Intelligibility.Lengths l = Intelligibility.lengths(clips.stream().map(w -> w.resample(model.sampleRate())).toList(),
                    model.clipSamples());
            pw.printf(Locale.ROOT, "clip lengths at %d Hz: median %d samples (%.2f s), 90%% %d, 99%% %d, longest %d (%.2f s); %d of %d "
                    + "longer than the %d samples (%.3f s) of %d frames at hop %d%n", model.sampleRate(), l.median(),
                    l.median() / (double) model.sampleRate(), l.p90(), l.p99(), l.max(), l.max() / (double) model.sampleRate(), l.longer(),
                    l.count(), model.clipSamples(), model.clipSamples() / (double) model.sampleRate(), model.frames(), model.hop());
        }
        header(pw);
        Djl.engine();
        Intelligibility.Score reference = null;
        Map<String, AudioConfig> measured = new HashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (Configured c : todo) {
                long start = System.nanoTime();
                Intelligibility.Stage stage = withStats(c.stage, measured);
                List<Wav> heardClips = Intelligibility.through(stage, clips, Randomness.of(seed).derive("phases"), m);
                StopRequests.check("nothing more reported");
                if (out != null) {
                    Path dir = out.resolve(c.dirName);
                    Files.createDirectories(dir);
                    for (int i = 0; i < heardClips.size(); i++) {
                        heardClips.get(i).write(dir.resolve(files.get(i).getFileName()));
                    }
                }
                Intelligibility.Score s = Intelligibility.score(labels, recogniser.recognise(heardClips, words), words);
                if (reference == null) {
                    reference = s;
                }
                row(pw, stage, s, reference, (System.nanoTime() - start) / 1e9);
            }
        }
        return 0;
    }

    private record Configured(Intelligibility.Stage stage, String dirName) {}

    private List<Configured> stagesToRun() {
        List<Configured> out = new ArrayList<>();
        if (source.samples != null) {
            out.add(new Configured(new Intelligibility.Stage("the clips as they are", Intelligibility.Way.ORIGINAL, AudioConfig.defaults()),
                    "clips"));
            return out;
        }
        List<Intelligibility.Stage> list = new ArrayList<>();
        if (stages) {
            list.addAll(Intelligibility.standardStages());
        } else {
            list.add(Intelligibility.standardStages().get(0));
        }
        for (Path f : configs) {
            list.add(new Intelligibility.Stage(f.getFileName().toString(), Intelligibility.Way.IMAGE, Configs.audioOf(f)));
        }
        for (int i = 0; i < list.size(); i++) {
            out.add(new Configured(list.get(i), String.format(Locale.ROOT, "%02d-%s", i, list.get(i).name().replaceAll("[^A-Za-z0-9.]+", "-"))));
        }
        return out;
    }

    /** An image stage's settings with the log range of the training clips under them (measured once per analysis). */
    private Intelligibility.Stage withStats(Intelligibility.Stage s, Map<String, AudioConfig> measured) {
        if (s.way() != Intelligibility.Way.IMAGE || s.audio().hasStats()) {
            return s;
        }
        AudioConfig a = s.audio();
        String key = a.sampleRate() + "/" + a.nFft() + "/" + a.hop() + "/" + a.window() + "/" + a.nMels() + "/" + a.fMin() + "/" + a.fMax()
                + "/" + a.frames() + "/" + a.logFloor() + "/" + a.frequency();
        AudioConfig stats = measured.computeIfAbsent(key,
                k -> AudioDatasets.load(((DataSpec.Wav) source.data).dir(), Datasets.Split.TRAIN, a).audio());
        return new Intelligibility.Stage(s.name(), s.way(), a.withStats(stats.logLow(), stats.logHigh()));
    }

    /** The class of a generated clip named as 'sample' writes it (sample-NNNNN-CLASS.wav), or -1 when its name has none of {@code words}. */
    static int askedClass(Path file, List<String> words) {
        String stem = file.getFileName().toString().replaceFirst("(?i)\\.wav$", "");
        String last = stem.substring(stem.lastIndexOf('-') + 1);
        for (int c = 0; c < words.size(); c++) {
            if (words.get(c).equalsIgnoreCase(last)) {
                return c;
            }
        }
        return -1;
    }

    /** {@link #askedClass}, refusing a file without a class in its name. */
    static int sampleLabel(Path file, List<String> words) {
        int c = askedClass(file, words);
        if (c >= 0) {
            return c;
        }
        throw new UserInputException(file + ": no class in its name (expected sample-NNNNN-CLASS.wav with CLASS one of "
                + String.join(", ", words) + ")");
    }

    private void header(PrintWriter pw) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-34s %8s %8s %11s", "stage", "accuracy", "x first", "lost/gained"));
        for (String w : words) {
            b.append(String.format(Locale.ROOT, " %5s", w.length() > 5 ? w.substring(0, 5) : w));
        }
        pw.println(b.append(String.format(Locale.ROOT, " %8s  %s", "seconds", "settings")));
    }

    private static void row(PrintWriter pw, Intelligibility.Stage stage, Intelligibility.Score s, Intelligibility.Score ref, double seconds) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-34s %8.4f %8.3f %11s", stage.name(), s.accuracy(),
                s.accuracy() / ref.accuracy(), s.lostAgainst(ref) + "/" + s.gainedAgainst(ref)));
        for (int c = 0; c < s.words().size(); c++) {
            b.append(String.format(Locale.ROOT, " %5s", s.total()[c] == 0 ? "-" : s.correct()[c] + "/" + s.total()[c]));
        }
        pw.println(b.append(String.format(Locale.ROOT, " %8.1f  %s", seconds, stage.settings())));
        pw.flush();
    }
}

package dev.diffusion4j.data;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.engine.Djl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Folders of WAV files as log-mel images. Files named like the Free Spoken Digit Dataset, {@code
 * {digit}_{speaker}_{index}.wav}, get the digit as label and its split (indices 0-4 are the test
 * set); in any other folder every tenth file (in sorted order) is the test set and there are no labels.
 */
public final class AudioDatasets {
    private static final Pattern FSDD = Pattern.compile("(\\d)_([A-Za-z]+)_(\\d+)\\.wav");
    private static final int BATCH = 256;

    /** The class names of the Free Spoken Digit Dataset's labels. */
    public static final List<String> SPOKEN_DIGITS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

    private AudioDatasets() {}

    /** One clip of a folder. */
    record Clip(Path file, int label, boolean test) {}

    /** Log-mel images and the audio configuration, with its statistics, that made them. */
    public record Loaded(ImageDataset images, AudioConfig audio) {}

    static List<Clip> scan(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DataException(dir + ": not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".wav")).sorted().toList();
        } catch (IOException e) {
            throw new DataException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) {
            throw new DataException(dir + ": no .wav files");
        }
        boolean fsdd = files.stream().allMatch(p -> FSDD.matcher(p.getFileName().toString()).matches());
        List<Clip> clips = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Path p = files.get(i);
            if (fsdd) {
                Matcher m = FSDD.matcher(p.getFileName().toString());
                m.matches();
                clips.add(new Clip(p, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(3)) < 5));
            } else {
                clips.add(new Clip(p, -1, i % 10 == 0));
            }
        }
        return clips;
    }

    /** The digit a file named like the Free Spoken Digit Dataset's ({@code {digit}_{speaker}_{index}.wav}) says, or -1. */
    public static int label(Path file) {
        Matcher m = FSDD.matcher(file.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Every WAV file below a folder, sorted. */
    public static List<Path> files(Path dir) {
        return scan(dir).stream().map(Clip::file).toList();
    }

    /** The WAV files of one split of a folder, split as the class comment says. */
    public static List<Path> files(Path dir, Datasets.Split split) {
        boolean test = split == Datasets.Split.TEST;
        return scan(dir).stream().filter(c -> c.test() == test).map(Clip::file).toList();
    }

    /**
     * The split's clips as 8-bit log-mel images (1 x nMels x frames, high frequencies in the top
     * row). Statistics missing from {@code audio} are measured on the training split first.
     *
     * @throws DataException naming the file and the problem
     */
    public static Loaded load(Path dir, Datasets.Split split, AudioConfig audio) {
        List<Clip> all = scan(dir);
        Djl.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            MelSpectrogram mel = new MelSpectrogram(audio);
            boolean test = split == Datasets.Split.TEST;
            List<Clip> clips = all.stream().filter(c -> c.test() == test).toList();
            if (clips.isEmpty()) {
                throw new DataException(dir + ": no clips in the " + split.name().toLowerCase(Locale.ROOT) + " split");
            }
            AudioConfig a = audio;
            List<float[]> mels = null;
            if (!a.hasStats()) {
                List<Clip> train = all.stream().filter(c -> !c.test()).toList();
                if (train.isEmpty()) {
                    throw new DataException(dir + ": no training clips to measure the log-mel range on");
                }
                List<float[]> trainMels = logMels(train, a, mel, m);
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (float[] img : trainMels) {
                    for (float v : img) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
                if (!(hi > lo)) {
                    throw new DataException(dir + ": every clip is silent (log-mel range [" + lo + ", " + hi + "])");
                }
                a = a.withStats(lo, hi);
                if (!test) {
                    mels = trainMels; // the statistics are not part of the log-mel, so the split is already computed
                }
            }
            if (mels == null) {
                mels = logMels(clips, a, mel, m);
            }
            int per = a.pixels();
            byte[] pixels = new byte[clips.size() * per];
            for (int i = 0; i < clips.size(); i++) {
                MelImages.toImage(mels.get(i), a, pixels, i * per);
            }
            boolean labelled = clips.stream().allMatch(c -> c.label() >= 0);
            int[] labels = labelled ? clips.stream().mapToInt(Clip::label).toArray() : null;
            return new Loaded(new ImageDataset("wav:" + dir, clips.size(), 1, a.height(), a.frames(), pixels, labels,
                    labelled ? SPOKEN_DIGITS : null), a);
        }
    }

    private static List<float[]> logMels(List<Clip> clips, AudioConfig a, MelSpectrogram mel, NDManager m) {
        List<float[]> out = new ArrayList<>(clips.size());
        for (int from = 0; from < clips.size(); from += BATCH) {
            List<Clip> part = clips.subList(from, Math.min(clips.size(), from + BATCH));
            float[][] waves = new float[part.size()][];
            for (int i = 0; i < waves.length; i++) {
                Wav w = Wav.read(part.get(i).file()).resample(a.sampleRate());
                for (float v : w.samples()) {
                    if (!Float.isFinite(v)) {
                        throw new DataException(part.get(i).file() + ": holds a non-finite sample");
                    }
                }
                waves[i] = w.samples();
            }
            out.addAll(List.of(mel.logMels(m, waves)));
        }
        return out;
    }
}

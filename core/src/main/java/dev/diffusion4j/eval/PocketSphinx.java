package dev.diffusion4j.eval;

import dev.diffusion4j.data.Wav;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * CMU PocketSphinx as Debian packages it ({@code pocketsphinx} 0.8+5prealpha and its US English acoustic model {@code
 * pocketsphinx-en-us}), run as the external program {@code pocketsphinx_batch} over all the clips at once. Its answers are
 * restricted by a JSGF grammar to exactly one of the given words, so every clip gets one. The acoustic model is trained on
 * 16 kHz speech: each clip is resampled to 16 kHz in Java ({@link Wav#resample}, a Hann-windowed sinc) and handed over
 * as raw 16-bit little-endian PCM; nothing else is done to it (the recogniser normalises the level itself, through the
 * cepstral mean of each utterance).
 */
public final class PocketSphinx implements Recognizer {
    /** The program run. */
    public static final String PROGRAM = "pocketsphinx_batch";
    /** The rate of the acoustic model. */
    public static final int RATE = 16_000;
    /** Where {@code pocketsphinx-en-us} puts its model and dictionary. */
    public static final Path MODEL_DIR = Path.of("/usr/share/pocketsphinx/model/en-us");
    /** How to get it, in one line. */
    public static final String INSTALL = "apt-get install pocketsphinx pocketsphinx-en-us";

    private static final long TIMEOUT_SECONDS = 3600;

    private final Path program;
    private final Path acousticModel;
    private final Path dictionary;

    PocketSphinx(Path program, Path acousticModel, Path dictionary) {
        this.program = program;
        this.acousticModel = acousticModel;
        this.dictionary = dictionary;
    }

    /** Why it cannot run here (the program or the model is missing), in one line with how to install it; empty when it can. */
    public static Optional<String> missing() {
        if (onPath(program()).isEmpty()) {
            return Optional.of("PocketSphinx is not installed (no " + program() + " on the PATH): " + INSTALL);
        }
        if (!Files.isDirectory(MODEL_DIR.resolve("en-us")) || !Files.isRegularFile(MODEL_DIR.resolve("cmudict-en-us.dict"))) {
            return Optional.of("PocketSphinx's US English model is not installed (no " + MODEL_DIR + "): " + INSTALL);
        }
        return Optional.empty();
    }

    /**
     * The installed recogniser.
     *
     * @throws IllegalStateException with {@link #missing()}'s line when it is not installed
     */
    public static PocketSphinx installed() {
        missing().ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        return new PocketSphinx(onPath(program()).orElseThrow(), MODEL_DIR.resolve("en-us"), MODEL_DIR.resolve("cmudict-en-us.dict"));
    }

    /** The program's name: {@link #PROGRAM}, or the system property {@code diffusion4j.pocketsphinx}. */
    static String program() {
        return System.getProperty("diffusion4j.pocketsphinx", PROGRAM);
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public String describe() {
        return "PocketSphinx (" + PROGRAM + ", " + acousticModel + ", a JSGF grammar of exactly one word; clips resampled to "
                + RATE / 1000 + " kHz in Java)";
    }

    /** A JSGF grammar whose only sentences are the single words given. */
    public static String grammar(List<String> words) {
        StringBuilder b = new StringBuilder("#JSGF V1.0;\ngrammar words;\npublic <word> = ");
        for (int i = 0; i < words.size(); i++) {
            b.append(i == 0 ? "" : " | ").append(words.get(i).toLowerCase(Locale.ROOT));
        }
        return b.append(";\n").toString();
    }

    /**
     * The hypotheses of a {@code -hyp} file, by utterance id: each line is the words heard, then in parentheses the
     * utterance id and its score ({@code "seven (clip-00003 -1234)"}); a line without words ({@code "(clip-00004 -5)"})
     * maps to the empty string. Lines that are not of that form are refused.
     *
     * @throws IllegalArgumentException naming the line
     */
    public static Map<String, String> parseHypotheses(String text) {
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\\R")) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            int open = l.lastIndexOf('(');
            if (open < 0 || !l.endsWith(")")) {
                throw new IllegalArgumentException("not a PocketSphinx hypothesis line: '" + l + "'");
            }
            String[] inside = l.substring(open + 1, l.length() - 1).strip().split("\\s+");
            if (inside.length < 1 || inside[0].isEmpty()) {
                throw new IllegalArgumentException("not a PocketSphinx hypothesis line: '" + l + "'");
            }
            out.put(inside[0], l.substring(0, open).strip().replaceAll("\\s+", " "));
        }
        return out;
    }

    /** The clip as PocketSphinx reads it: 16 kHz, 16-bit signed little-endian PCM without a header, clipped to [-1, 1]. */
    public static byte[] prepare(Wav clip) {
        float[] s = clip.resample(RATE).samples();
        byte[] pcm = new byte[2 * s.length];
        for (int i = 0; i < s.length; i++) {
            int v = Math.round(Math.max(-1f, Math.min(1f, s[i])) * 32767f);
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        return pcm;
    }

    @Override
    public List<String> recognise(List<Wav> clips, List<String> words) throws IOException {
        Set<String> known = dictionaryWords(words);
        for (String w : words) {
            if (!known.contains(w.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("'" + w + "' is not in PocketSphinx's dictionary " + dictionary);
            }
        }
        if (clips.isEmpty()) {
            return List.of();
        }
        Path dir = Files.createTempDirectory("d4j-pocketsphinx");
        try {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < clips.size(); i++) {
                String id = String.format(Locale.ROOT, "clip-%05d", i);
                Files.write(dir.resolve(id + ".raw"), prepare(clips.get(i)));
                ids.add(id);
            }
            Files.writeString(dir.resolve("clips.ctl"), String.join("\n", ids) + "\n");
            Files.writeString(dir.resolve("words.gram"), grammar(words));
            Path hyp = dir.resolve("hyp.txt");
            Path log = dir.resolve("log.txt");
            List<String> cmd = List.of(program.toString(), "-hmm", acousticModel.toString(), "-dict", dictionary.toString(), "-jsgf",
                    dir.resolve("words.gram").toString(), "-ctl", dir.resolve("clips.ctl").toString(), "-cepdir", dir.toString(), "-cepext",
                    ".raw", "-adcin", "yes", "-adchdr", "0", "-samprate", Integer.toString(RATE), "-hyp", hyp.toString(), "-logfn",
                    log.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
            try {
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(PROGRAM + " did not finish within " + TIMEOUT_SECONDS + " s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException(PROGRAM + " interrupted", e);
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(hyp)) {
                throw new IOException(PROGRAM + " failed (exit " + p.exitValue() + "): " + lastLine(log));
            }
            Map<String, String> heard = parseHypotheses(Files.readString(hyp, StandardCharsets.UTF_8));
            List<String> out = new ArrayList<>(ids.size());
            for (String id : ids) {
                String h = heard.get(id);
                out.add(h == null || h.isEmpty() ? null : h);
            }
            return out;
        } finally {
            deleteTree(dir);
        }
    }

    private Set<String> dictionaryWords(List<String> words) throws IOException {
        Set<String> wanted = new HashSet<>();
        words.forEach(w -> wanted.add(w.toLowerCase(Locale.ROOT)));
        Set<String> found = new HashSet<>();
        try (Stream<String> lines = Files.lines(dictionary, StandardCharsets.ISO_8859_1)) {
            lines.forEach(l -> {
                int sp = l.indexOf(' ');
                if (sp > 0 && wanted.contains(l.substring(0, sp))) {
                    found.add(l.substring(0, sp));
                }
            });
        }
        return found;
    }

    private static String lastLine(Path log) {
        try {
            if (!Files.isRegularFile(log)) {
                return "no log";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).contains("ERROR")) {
                    return lines.get(i).strip();
                }
            }
            return lines.isEmpty() ? "empty log" : lines.get(lines.size() - 1).strip();
        } catch (IOException e) {
            return "log unreadable";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder left behind is not worth failing a measurement for
        }
    }
}

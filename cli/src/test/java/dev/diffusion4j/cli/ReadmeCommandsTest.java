package dev.diffusion4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * Every {@code ./diffusion4j ...} line in the fenced code blocks of README.md and docs/CLI.md parses against the real
 * command tree, without running anything: a renamed or removed option breaks this test, not the reader.
 */
class ReadmeCommandsTest {
    /** The documents whose commands are checked, relative to the repository root. */
    static final List<String> DOCUMENTS = List.of("README.md", "docs/CLI.md");

    private static final String LAUNCHER = "./diffusion4j";

    /** Shell words that end the command proper (a pipe, a second command, a redirection). */
    private static final Set<String> SHELL_OPERATORS = Set.of("|", "||", "&&", ";", "&");

    /** One command found: where it is and its words after the launcher. */
    record Found(String where, List<String> args) {
        @Override
        public String toString() {
            return where + ": " + LAUNCHER + " " + String.join(" ", args);
        }
    }

    /** The repository root: where surefire runs the tests (Maven's basedir), found by its README. */
    static Path root() {
        Path base = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        for (Path p = base; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no README.md with a pom.xml at or above " + base);
    }

    static List<Found> commands() throws IOException {
        List<Found> all = new ArrayList<>();
        for (String doc : DOCUMENTS) {
            all.addAll(commands(doc, Files.readString(root().resolve(doc), StandardCharsets.UTF_8)));
        }
        return all;
    }

    /** The launcher's command lines in the fenced code blocks of one Markdown text. */
    static List<Found> commands(String name, String markdown) {
        List<Found> found = new ArrayList<>();
        String[] lines = markdown.split("\r?\n", -1);
        boolean inBlock = false;
        String fence = null;
        for (int i = 0; i < lines.length; i++) {
            String trimmed = lines[i].trim();
            if (!inBlock) {
                if (trimmed.startsWith("```") || trimmed.startsWith("~~~")) {
                    inBlock = true;
                    fence = trimmed.substring(0, 3);
                }
                continue;
            }
            if (trimmed.startsWith(fence)) {
                inBlock = false;
                continue;
            }
            int first = i;
            StringBuilder line = new StringBuilder(stripComment(lines[i]));
            // a backslash at the end continues the command on the next line
            while (endsWithContinuation(line) && i + 1 < lines.length && !lines[i + 1].trim().startsWith(fence)) {
                line.setLength(line.length() - 1);
                line.append(' ').append(stripComment(lines[++i]));
            }
            List<String> words = words(line.toString());
            int at = launcherIndex(words);
            if (at >= 0) {
                List<String> args = new ArrayList<>();
                for (String w : words.subList(at + 1, words.size())) {
                    if (SHELL_OPERATORS.contains(w) || w.startsWith(">") || w.startsWith("2>") || w.startsWith("<")) {
                        break;
                    }
                    args.add(w);
                }
                found.add(new Found(name + ":" + (first + 1), args));
            }
        }
        assertThat(inBlock).as("%s: a code block is not closed", name).isFalse();
        return found;
    }

    private static boolean endsWithContinuation(StringBuilder line) {
        while (line.length() > 0 && Character.isWhitespace(line.charAt(line.length() - 1))) {
            line.setLength(line.length() - 1);
        }
        return line.length() > 0 && line.charAt(line.length() - 1) == '\\';
    }

    /** The launcher's position: the first word, or after environment assignments such as {@code JAVA_OPTS=...}. */
    private static int launcherIndex(List<String> words) {
        for (int k = 0; k < words.size(); k++) {
            if (words.get(k).equals(LAUNCHER)) {
                return k;
            }
            if (!words.get(k).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                return -1;
            }
        }
        return -1;
    }

    /** The line without a shell comment: a {@code #} at the start of a word, outside quotes. */
    static String stripComment(String line) {
        char quote = 0;
        for (int k = 0; k < line.length(); k++) {
            char ch = line.charAt(k);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
            } else if (ch == '#' && (k == 0 || Character.isWhitespace(line.charAt(k - 1)))) {
                return line.substring(0, k);
            }
        }
        return line;
    }

    /** Shell words: split at unquoted white space, quotes removed (no expansion: globs and $VARS stay as text). */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int k = 0; k < line.length(); k++) {
            char ch = line.charAt(k);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    w.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(ch);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(w.toString());
        }
        return words;
    }

    /**
     * Parses as {@link Main#run} does, without executing: picocli's own checks (unknown options, missing required
     * options, values its converters refuse), plus what Main refuses before running, a word left over.
     */
    static CommandLine.ParseResult parse(List<String> args) {
        CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
        for (CommandLine.ParseResult p = parsed; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (!p.unmatched().isEmpty()) {
                throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
            }
        }
        return parsed;
    }

    @Test
    void findsTheCommandsIncludingTheFirstOne() throws IOException {
        List<Found> all = commands();
        assertThat(all).isNotEmpty();
        assertThat(all.get(0).where()).startsWith("README.md:");
        assertThat(all.get(0).args()).containsExactly("sample", "--out", "samples.png");
        assertThat(all).extracting(Found::where).anyMatch(w -> w.startsWith("docs/CLI.md:"));
        // the first argument of every command is one of Main's commands, so nothing was cut at the wrong place
        Set<String> names = new CommandLine(new Main()).getSubcommands().keySet();
        assertThat(all).allSatisfy(f -> assertThat(f.args()).as(f.toString()).isNotEmpty()
                .first().satisfies(a -> assertThat(names.contains(a) || a.startsWith("-")).as(f.toString()).isTrue()));
    }

    @TestFactory
    Stream<DynamicTest> everyDocumentedCommandParses() throws IOException {
        return commands().stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            try {
                CommandLine.ParseResult parsed = parse(f.args());
                assertThat(parsed.originalArgs()).isEqualTo(f.args());
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError(f + " does not parse: " + e.getMessage(), e);
            }
        }));
    }

    @Test
    void theExtractionHandlesCommentsContinuationsAndOtherLines() {
        String md = String.join("\n",
                "text ./diffusion4j sample --out not-in-a-block.png",
                "```bash",
                "./diffusion4j sample --class all --guidance 3 --out digits.png     # one row per digit",
                "./diffusion4j eval fid --checkpoint runs/mnist \\",
                "    --data mnist:PATH/TO/mnist --num 1000   # a comment",
                "JAVA_OPTS=-Dx=1 ./diffusion4j doctor | head -3",
                "mvn test",
                "# ./diffusion4j a comment line",
                "```",
                "```text",
                "diffusion4j train [--data SPEC]",
                "./diffusion4j mel 'a b.wav' --out \"d i r\"",
                "```");
        List<Found> found = commands("x.md", md);
        assertThat(found).extracting(Found::args).containsExactly(
                List.of("sample", "--class", "all", "--guidance", "3", "--out", "digits.png"),
                List.of("eval", "fid", "--checkpoint", "runs/mnist", "--data", "mnist:PATH/TO/mnist", "--num", "1000"),
                List.of("doctor"),
                List.of("mel", "a b.wav", "--out", "d i r"));
        assertThat(found.get(1).where()).isEqualTo("x.md:4");
    }

    @Test
    void anUnknownOptionOrCommandFailsToParse() {
        assertThatThrownBy(() -> parse(List.of("sample", "--no-such-option", "--out", "x.png")))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class)
                .hasMessageContaining("--no-such-option");
        assertThatThrownBy(() -> parse(List.of("sample")))
                .isInstanceOf(CommandLine.MissingParameterException.class)
                .hasMessageContaining("--out");
        assertThatThrownBy(() -> parse(List.of("nosuch", "--help")))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("nosuch");
        assertThatThrownBy(() -> parse(List.of("sample", "--steps", "many", "--out", "x.png")))
                .isInstanceOf(CommandLine.ParameterException.class);
    }
}

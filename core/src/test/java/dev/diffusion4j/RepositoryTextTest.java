package dev.diffusion4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository speaks to its users: no text file names the tracker's issue numbers, their paragraph marks or the work
 * sessions that made it. A reader has only the repository; git keeps the history.
 */
class RepositoryTextTest {
    /** Folders that are not the repository's own text: build output, local runs, version control. */
    private static final Set<String> SKIPPED = Set.of(".git", "target", "runs", "out", ".idea", "node_modules");

    private static final Set<String> TEXT = Set.of("md", "java", "yaml", "yml", "sh", "py", "xml", "txt", "json", "csv", "html", "js", "css",
            "properties", "tsv");

    /** Issue numbers ("issue 16", "#16"), paragraph marks ("§2") and work sessions. */
    static final List<Pattern> FORBIDDEN = List.of(
            Pattern.compile("(?i)\\bissues? #?\\d+"),
            Pattern.compile("(?<![&\\w/])#\\d{1,3}\\b"),
            Pattern.compile("§\\s?\\d"),
            Pattern.compile("(?i)\\bsess" + "ions?\\b"));

    @Test
    void noTextFileNamesIssueNumbersParagraphMarksOrWorkSessions() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        assertThat(root.resolve("README.md")).as("run from the repository root").exists();
        List<String> hits = new ArrayList<>();
        int files = 0;
        for (Path f : textFiles(root)) {
            if (f.getFileName().toString().equals("RepositoryTextTest.java")) {
                continue;
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(f);
            } catch (MalformedInputException e) {
                continue; // not UTF-8 text
            }
            files++;
            for (int i = 0; i < lines.size(); i++) {
                for (Pattern p : FORBIDDEN) {
                    var m = p.matcher(lines.get(i));
                    if (m.find()) {
                        hits.add(root.relativize(f) + ":" + (i + 1) + ": '" + m.group() + "'");
                    }
                }
            }
        }
        assertThat(files).as("text files read").isGreaterThan(100);
        assertThat(hits).as("work-process references").isEmpty();
    }

    @Test
    void thePatternsCatchWhatTheyAreFor() {
        for (String bad : new String[] {"as issue #16 asks", "Issue 14's hour", "(#13)", "§2's targets", "in the first sess" + "ion"}) {
            assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher(bad).find())).as(bad).isTrue();
        }
        for (String fine : new String[] {"colour #1f77b4", "&#123;", "{@link Foo#bar}", "see docs/CLI.md#checkpoints", "step 16"}) {
            assertThat(FORBIDDEN.stream().noneMatch(p -> p.matcher(fine).find())).as(fine).isTrue();
        }
    }

    private static List<Path> textFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> root.relativize(p).getNameCount() > 0)
                    .filter(p -> {
                        for (Path part : root.relativize(p)) {
                            if (SKIPPED.contains(part.toString())) {
                                return false;
                            }
                        }
                        String name = p.getFileName().toString();
                        int dot = name.lastIndexOf('.');
                        return dot < 0 || TEXT.contains(name.substring(dot + 1));
                    })
                    .toList();
        }
    }
}

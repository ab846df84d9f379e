package dev.diffusion4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's "Using it as a library" cannot drift from what builds: its dependency block names the library's coordinates,
 * and its Java snippets are lines of the example programs that {@code examples/run-all.sh} compiles and runs against
 * the installed artifact.
 */
class ReadmeLibraryTest {
    private static final Path EXAMPLES = Path.of("examples/src/main/java/dev/diffusion4j/examples");

    /** The fenced blocks of one language in README's library section, in order. */
    private static List<String> blocks(String language) throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("## Using it as a library");
        assertThat(start).as("README has a section 'Using it as a library'").isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(section);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The non-blank lines of {@code text}, trimmed. */
    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void theDependencyBlockNamesTheLibrary() throws IOException {
        String pom = Files.readString(Path.of("core/pom.xml"));
        String parent = Files.readString(Path.of("pom.xml"));
        Matcher version = Pattern.compile("<artifactId>diffusion4j-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(parent);
        assertThat(version.find()).isTrue();
        assertThat(pom).contains("<artifactId>diffusion4j-core</artifactId>");
        assertThat(blocks("xml")).first().satisfies(b -> assertThat(lines(b)).containsExactly("<dependency>",
                "<groupId>dev.diffusion4j</groupId>", "<artifactId>diffusion4j-core</artifactId>", "<version>" + version.group(1) + "</version>",
                "</dependency>"));
    }

    @Test
    void theJavaSnippetsAreTheExamplesLines() throws IOException {
        List<String> snippets = blocks("java");
        assertThat(snippets.size()).isGreaterThanOrEqualTo(2);
        assertThat(lines(Files.readString(EXAMPLES.resolve("SixteenSevens.java")))).as("the first snippet, in SixteenSevens.java")
                .containsSequence(lines(snippets.get(0)));
        assertThat(lines(Files.readString(EXAMPLES.resolve("TrainOnPictures.java")))).as("the second snippet, in TrainOnPictures.java")
                .containsSequence(lines(snippets.get(1)));
    }
}

package dev.diffusion4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The package layering of docs/ARCHITECTURE.md, read from every main source file's references. */
class ArchitectureTest {
    /** What each package may use besides itself; {@code engine} and {@code io} are underneath everything. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("engine", Set.of()),
            Map.entry("io", Set.of()),
            Map.entry("data", Set.of("engine", "io")),
            Map.entry("schedule", Set.of("engine", "io")),
            Map.entry("diffusion", Set.of("schedule", "engine", "io")),
            Map.entry("model", Set.of("engine", "io")),
            Map.entry("optim", Set.of("model", "engine", "io")),
            Map.entry("train", Set.of("data", "schedule", "diffusion", "model", "optim", "engine", "io")),
            Map.entry("sample", Set.of("data", "schedule", "diffusion", "model", "engine", "io")),
            Map.entry("eval", Set.of("data", "schedule", "diffusion", "model", "optim", "engine", "io")),
            Map.entry("edit", Set.of("data", "schedule", "diffusion", "model", "sample", "engine", "io")),
            Map.entry("bench", Set.of("data", "schedule", "diffusion", "model", "optim", "train", "engine", "io")),
            Map.entry("api", Set.of("data", "schedule", "diffusion", "model", "optim", "train", "sample", "edit", "eval", "engine", "io")),
            Map.entry("cli", Set.of("data", "schedule", "diffusion", "model", "optim", "train", "sample", "edit", "eval", "bench", "api", "engine",
                    "io")),
            Map.entry("spark", Set.of("api", "eval", "engine", "io")));

    /**
     * Single classes a package may use from a package it may not otherwise reach: the Spark layer names the sampler a
     * {@code SampleRequest} takes, resolves class labels, and reads the data a FID compares with, as the command line does.
     */
    private static final Map<String, Set<String>> ALLOWED_CLASSES = Map.of(
            "spark", Set.of("sample.SamplerSpec", "data.ClassNames", "data.DataSpec", "data.ImageDataset", "data.AudioConfig", "data.DataException"));

    private static final Pattern REF = Pattern.compile("dev\\.diffusion4j\\.([a-z]+)\\.([\\w*]+)");

    /** The packages each Maven module holds: the command line and the Spark layer apart, so that the library needs neither. */
    private static final Map<String, Set<String>> MODULES = Map.of(
            "core", Set.of("data", "schedule", "diffusion", "model", "optim", "train", "sample", "edit", "eval", "bench", "api", "engine", "io"),
            "cli", Set.of("cli"),
            "spark", Set.of("spark"));

    @Test
    void everyPackageUsesOnlyThePackagesAboveItAndUnderneath() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = 0;
        for (Map.Entry<String, Set<String>> module : MODULES.entrySet()) {
            Path root = Path.of(module.getKey(), "src/main/java/dev/diffusion4j");
            try (Stream<Path> s = Files.walk(root)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Path rel = root.relativize(f);
                    if (rel.getNameCount() < 2) {
                        continue; // Versions, at the top
                    }
                    String pkg = rel.getName(0).toString();
                    assertThat(ALLOWED).as("a package docs/ARCHITECTURE.md does not list: %s", pkg).containsKey(pkg);
                    assertThat(module.getValue()).as("%s is in module %s", rel, module.getKey()).contains(pkg);
                    files++;
                    violations.addAll(uses(f, rel, pkg));
                }
            }
        }
        assertThat(files).isGreaterThan(50);
        assertThat(violations).isEmpty();
    }

    @Test
    void theSparkLayerReachesOnlyTheApiAndTheClassesListed() throws IOException {
        // the rule has teeth: a class of the Spark layer that opened a checkpoint itself would break it
        Path probe = Files.createTempFile("Probe", ".java");
        try {
            Files.writeString(probe, "package dev.diffusion4j.spark;\nimport dev.diffusion4j.train.Checkpoint;\nimport dev.diffusion4j.sample.SamplerSpec;\n"
                    + "import dev.diffusion4j.data.*;\n");
            assertThat(uses(probe, Path.of("spark/Probe.java"), "spark")).containsExactly("spark/Probe.java uses train.Checkpoint",
                    "spark/Probe.java uses data.*");
        } finally {
            Files.delete(probe);
        }
        assertThat(Path.of("spark/src/main/java/dev/diffusion4j/spark")).as("the Spark layer is read").isDirectory();
    }

    /** The packages {@code f} (in {@code pkg}) uses that it may not. */
    private static List<String> uses(Path f, Path rel, String pkg) throws IOException {
        List<String> violations = new ArrayList<>();
        Matcher m = REF.matcher(Files.readString(f));
        while (m.find()) {
            String used = m.group(1);
            String cls = used + "." + m.group(2);
            if (!used.equals(pkg) && ALLOWED.containsKey(used) && !ALLOWED.get(pkg).contains(used)
                    && !ALLOWED_CLASSES.getOrDefault(pkg, Set.of()).contains(cls)) {
                violations.add(rel + " uses " + cls);
            }
        }
        return violations;
    }
}

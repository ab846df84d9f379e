package dev.diffusion4j.cli;

import dev.diffusion4j.Versions;
import java.util.Properties;
import picocli.CommandLine;

/** {@code --version}: diffusion4j and the engine it was built against. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        Properties p = Versions.properties();
        return new String[] {
            "diffusion4j " + p.getProperty("version", "unknown"),
            "Deep Java Library " + p.getProperty("djl", "?") + ", PyTorch " + p.getProperty("pytorch", "?") + " (CPU)",
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}

package dev.diffusion4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Versions of diffusion4j and of the engine it was built against, from a filtered resource. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    /** The build's version properties: {@code version}, {@code djl}, {@code pytorch}. */
    public static Properties versions() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/dev/diffusion4j/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to the defaults below
        }
        return p;
    }

    @Override
    public String[] getVersion() {
        Properties p = versions();
        return new String[] {
            "diffusion4j " + p.getProperty("version", "unknown"),
            "Deep Java Library " + p.getProperty("djl", "?") + ", PyTorch " + p.getProperty("pytorch", "?") + " (CPU)",
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}

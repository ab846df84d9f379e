package dev.diffusion4j;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The versions this build was made with: {@code version}, {@code djl}, {@code pytorch}. */
public final class Versions {
    private Versions() {}

    /** Read from a resource that Maven filters at build time. */
    public static Properties properties() {
        Properties p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("/dev/diffusion4j/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // no versions: callers print "?"
        }
        return p;
    }
}

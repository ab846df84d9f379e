package dev.diffusion4j.engine;

import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Offline start of Deep Java Library's PyTorch engine (docs/ENGINE.md, "Offline start").
 *
 * <p>Call {@link #configure()} before the first tensor is made. It turns on offline mode (no
 * download, no start-up telemetry), and points DJL's cache, where the PyTorch natives shipped in
 * the {@code pytorch-native-cpu} jar are unpacked, at a directory the user chooses:
 *
 * <ol>
 *   <li>DJL's own {@code DJL_CACHE_DIR} environment variable when the user set it (DJL reads the
 *       environment before system properties, so it always wins);
 *   <li>else the system property {@code diffusion4j.cache.dir}, or the environment variable {@code
 *       DIFFUSION4J_CACHE_DIR};
 *   <li>else {@code ~/.cache/diffusion4j/djl}.
 * </ol>
 *
 * It never sets {@code PYTORCH_VERSION} or {@code PYTORCH_FLAVOR}: a mismatch with the bundled
 * natives would make DJL look for a download.
 */
public final class Djl {
    /** System property naming the cache directory. */
    public static final String CACHE_PROPERTY = "diffusion4j.cache.dir";
    /** Environment variable naming the cache directory. */
    public static final String CACHE_ENV = "DIFFUSION4J_CACHE_DIR";

    private static volatile boolean configured;

    private Djl() {}

    /** Configures offline mode and the cache directory; idempotent, cheap, loads no natives. */
    public static synchronized void configure() {
        if (configured) {
            return;
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.default_engine", "PyTorch");
        String dir = cacheDir().toString();
        System.setProperty("DJL_CACHE_DIR", dir);
        if (System.getenv("ENGINE_CACHE_DIR") == null) {
            System.setProperty("ENGINE_CACHE_DIR", dir);
        }
        configured = true;
    }

    /**
     * Configures (see {@link #configure()}), tunes the native allocator ({@link NativeMemory}),
     * caps oneDNN's instruction set where one was asked for ({@link OneDnn}), then loads the PyTorch engine.
     *
     * @return the engine
     * @throws IllegalStateException with the cache directory named when the natives cannot be
     *     unpacked or loaded
     */
    public static Engine engine() {
        configure();
        NativeMemory.tune();
        OneDnn.limitIsa();
        try {
            Files.createDirectories(cacheDir());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "cannot create the DJL cache directory " + cacheDir() + ": " + e.getMessage(), e);
        }
        try {
            return Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException(
                    "cannot load the PyTorch engine from the cache " + cacheDir() + ": " + e.getMessage(),
                    e);
        }
    }

    /** The cache directory chosen by the rules in the class comment. */
    public static Path cacheDir() {
        String djl = System.getenv("DJL_CACHE_DIR");
        if (djl != null && !djl.isBlank()) {
            return Paths.get(djl);
        }
        String explicit = explicitCacheDir();
        if (explicit != null) {
            return Paths.get(explicit);
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "diffusion4j", "djl");
    }

    private static String explicitCacheDir() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p != null && !p.isBlank()) {
            return p;
        }
        String e = System.getenv(CACHE_ENV);
        return e != null && !e.isBlank() ? e : null;
    }
}

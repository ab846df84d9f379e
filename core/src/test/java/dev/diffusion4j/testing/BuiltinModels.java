package dev.diffusion4j.testing;

import java.nio.file.Path;

/** The built-in MNIST model in tests: whether this build packed it, and a private cache to unpack it into. */
public final class BuiltinModels {
    private BuiltinModels() {}

    /** Code run with the built-in models' cache pointed somewhere. */
    public interface Body {
        void run() throws Exception;
    }

    /** Whether models/mnist is on the class path. */
    public static boolean mnistPresent() {
        return BuiltinModels.class.getResource("/dev/diffusion4j/models/mnist/ema.safetensors") != null;
    }

    /** Runs {@code body} with the built-in models unpacked under {@code dir}/cache, then clears the setting. */
    public static void withCache(Path dir, Body body) throws Exception {
        System.setProperty("diffusion4j.cache.dir", dir.resolve("cache").toString());
        try {
            body.run();
        } finally {
            System.clearProperty("diffusion4j.cache.dir");
        }
    }
}

package dev.diffusion4j.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The models packed into the jar ({@code models/NAME/} in the repository): EMA weights, the run's
 * configuration and its state. {@code builtin:NAME} names one wherever a checkpoint is expected; it is
 * copied once into the cache ({@code ~/.cache/diffusion4j/models/}, or beside the DJL cache the user
 * chose) and opened from there like any checkpoint.
 */
public final class Builtins {
    /** The prefix that names a built-in model. */
    public static final String PREFIX = "builtin:";
    /**
     * The built-in MNIST model: what the editing commands use when no checkpoint is named, and {@code sample} when
     * {@link #FAST} cannot do what it is asked.
     */
    public static final String MNIST = PREFIX + "mnist";
    /**
     * The model {@code sample} uses when no checkpoint is named and it can serve the request: {@code builtin:mnist-w16}
     * distilled to 4 steps with the guidance scale as an input (its own 4-step sampler, guidance 1 to 3).
     */
    public static final String FAST = PREFIX + "mnist-fast-guided";

    private static final List<String> FILES = List.of("ema.safetensors", "config.json", "state.json");

    private Builtins() {}

    /** Whether {@code path} names a built-in model. */
    public static boolean names(Path path) {
        return path.toString().startsWith(PREFIX);
    }

    /**
     * The checkpoint directory of a built-in model, copied out of the jar the first time.
     *
     * @throws IOException naming the model when this build does not have it
     */
    public static Path directory(String spec) throws IOException {
        String name = spec.substring(PREFIX.length());
        if (!name.matches("[a-z0-9-]+") || resource(name, "state.json") == null) {
            throw new IOException(spec + ": no such built-in model in this build");
        }
        List<byte[]> described = new java.util.ArrayList<>();
        for (String f : STAMPED) {
            try (InputStream in = resource(name, f)) {
                if (in == null) {
                    throw new IOException(spec + ": the build lacks " + f);
                }
                described.add(in.readAllBytes());
            }
        }
        Path dir = cacheRoot().resolve(name + "-" + stamp(described));
        if (!Files.isRegularFile(dir.resolve("state.json"))) {
            Files.createDirectories(dir.getParent());
            Path tmp = Files.createTempDirectory(dir.getParent(), ".tmp-" + name);
            for (String f : FILES) {
                try (InputStream in = resource(name, f)) {
                    if (in == null) {
                        throw new IOException(spec + ": the build lacks " + f);
                    }
                    Files.copy(in, tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(dir.resolve("state.json"))) {
                    throw e;
                }
                Checkpoint.deleteTree(tmp); // another process copied it first
            }
        }
        return dir;
    }

    /**
     * The files whose bytes name a built-in model's copy in the cache: a build that changes either (new weights come
     * with a new state; a new default such as {@code sampling.guidance} changes only the configuration) gets a fresh copy.
     */
    private static final List<String> STAMPED = List.of("config.json", "state.json");

    /** The first 8 bytes of the SHA-256 of the files' bytes, each preceded by its length, in hex. */
    static String stamp(List<byte[]> files) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            for (byte[] f : files) {
                sha.update(java.nio.ByteBuffer.allocate(Long.BYTES).putLong(f.length).array());
                sha.update(f);
            }
            return java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static InputStream resource(String name, String file) {
        return Builtins.class.getResourceAsStream("/dev/diffusion4j/models/" + name + "/" + file);
    }

    private static Path cacheRoot() {
        String explicit = System.getenv("DIFFUSION4J_CACHE_DIR");
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getProperty("diffusion4j.cache.dir");
        }
        if (explicit != null && !explicit.isBlank()) {
            return Paths.get(explicit).resolve("models");
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "diffusion4j", "models");
    }
}

package dev.diffusion4j.train;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.io.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A checkpoint directory {@code RUN/checkpoints/step-000001000/} holding {@code model.safetensors},
 * {@code ema.safetensors}, {@code optimizer.safetensors}, {@code config.json} (the whole
 * configuration) and {@code state.json} (step, seed, versions). It is written into a temporary
 * directory and renamed into place, so a reader never sees half of one.
 *
 * @param dir the checkpoint directory
 * @param config the training configuration
 * @param state step, seed and versions
 * @param name what to call it in reports and errors: the directory, or for a built-in model its name
 *     and step ({@code builtin:mnist (step 4076)}) rather than the cache directory it was copied to
 */
public record Checkpoint(Path dir, TrainConfig config, State state, String name) {
    /** The format name in {@code state.json}. */
    public static final String FORMAT = "diffusion4j-checkpoint-v1";

    /** The small facts of a checkpoint. */
    public record State(String format, long step, long seed, String diffusion4j, String djl, String pytorch, String created) {}

    /** The directory name of the checkpoint at {@code step}. */
    public static String dirName(long step) {
        return String.format("step-%09d", step);
    }

    /** Writes a checkpoint and deletes all but the newest {@code keep}. */
    public static Path save(Path runDir, TrainConfig config, long step, Map<String, SafeTensors.Tensor> model,
            Map<String, SafeTensors.Tensor> ema, Map<String, SafeTensors.Tensor> optimizer, int keep) throws IOException {
        Path root = runDir.resolve("checkpoints");
        Files.createDirectories(root);
        // not Files.createTempDirectory: its owner-only permissions would stay on the checkpoint
        Path tmp = Files.createDirectory(root.resolve(".tmp-" + dirName(step) + "-" + Long.toHexString(System.nanoTime())));
        Path target = root.resolve(dirName(step));
        try {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", FORMAT);
            meta.put("step", Long.toString(step));
            SafeTensors.write(tmp.resolve("model.safetensors"), model, meta);
            SafeTensors.write(tmp.resolve("ema.safetensors"), ema, meta);
            SafeTensors.write(tmp.resolve("optimizer.safetensors"), optimizer, meta);
            var versions = dev.diffusion4j.Versions.properties();
            State state = new State(FORMAT, step, config.training().seed(), versions.getProperty("version", "?"),
                    versions.getProperty("djl", "?"), versions.getProperty("pytorch", "?"), Instant.now().toString());
            writeText(tmp.resolve("config.json"), Configs.toJson(config));
            writeText(tmp.resolve("state.json"), Configs.toJson(state));
            if (Files.exists(target)) {
                deleteTree(target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        List<Path> all = list(runDir);
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
        return target;
    }

    private static void writeText(Path file, String text) throws IOException {
        AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Removes what killed writers leave in a run's {@code checkpoints/}: temporary directories and
     * {@code step-N} directories without {@code state.json} (never complete checkpoints).
     *
     * @return the names removed
     */
    public static List<String> removeLeftovers(Path runDir) throws IOException {
        Path root = runDir.resolve("checkpoints");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<String> removed = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                boolean tmp = name.startsWith(".tmp-");
                boolean incomplete = name.matches("step-\\d{9}") && !Files.isRegularFile(p.resolve("state.json"));
                if (Files.isDirectory(p) && (tmp || incomplete)) {
                    deleteTree(p);
                    removed.add(name);
                }
            }
        }
        return removed;
    }

    /** The complete checkpoints of a run, oldest first. */
    public static List<Path> list(Path runDir) throws IOException {
        Path root = runDir.resolve("checkpoints");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            List<Path> out = new ArrayList<>(s.filter(p -> p.getFileName().toString().matches("step-\\d{9}"))
                    .filter(p -> Files.isRegularFile(p.resolve("state.json"))).toList());
            out.sort(Comparator.comparing(p -> p.getFileName().toString()));
            return out;
        }
    }

    /**
     * Opens a checkpoint: a checkpoint directory itself, a run directory (its newest checkpoint), a distillation's
     * directory (the newest checkpoint of its round with the fewest steps, {@code steps-N/}), or a built-in model ({@code builtin:NAME}, see {@link Builtins}).
     * Reads the JSON files; tensors are read on demand.
     *
     * @throws IOException naming the path and what is missing or wrong
     */
    public static Checkpoint open(Path path) throws IOException {
        String builtin = Builtins.names(path) ? path.toString() : null;
        if (builtin != null) {
            path = Builtins.directory(builtin);
        }
        Path dir = path;
        if (!Files.isRegularFile(path.resolve("state.json"))) {
            if (!Files.isDirectory(path)) {
                throw new IOException(path + ": no such run or checkpoint directory");
            }
            Path round = Files.isRegularFile(path.resolve("distill.json")) ? lastRound(path) : null;
            List<Path> all = list(round != null ? round : path);
            if (all.isEmpty()) {
                throw new IOException(path + ": no checkpoint in it (expected checkpoints/step-NNNNNNNNN/)");
            }
            dir = all.get(all.size() - 1);
        }
        State state;
        try {
            state = Configs.JSON.readValue(Files.readString(dir.resolve("state.json")), State.class);
        } catch (IOException e) {
            throw new IOException(dir.resolve("state.json") + ": unreadable (" + e.getMessage().split("\n")[0] + ")");
        }
        if (!FORMAT.equals(state.format())) {
            throw new IOException(dir.resolve("state.json") + ": format '" + state.format() + "' is not " + FORMAT);
        }
        TrainConfig config = Configs.read(dir.resolve("config.json"));
        return new Checkpoint(dir, config, state, builtin != null ? builtin + " (step " + state.step() + ")" : dir.toString());
    }

    /** The round of a distillation's directory with the fewest steps that holds a checkpoint, or null. */
    private static Path lastRound(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("steps-\\d+")).filter(p -> {
                try {
                    return !list(p).isEmpty();
                } catch (IOException e) {
                    return false;
                }
            }).min(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(6)))).orElse(null);
        }
    }

    /** Reads one of the tensor files, validated. */
    public Map<String, SafeTensors.Tensor> tensors(String name) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        try {
            return SafeTensors.read(file).tensors();
        } catch (IOException e) {
            throw new IOException(String.valueOf(e.getMessage()).replace(file.toString(), where(name + ".safetensors")), e);
        }
    }

    /**
     * The UNet with this checkpoint's EMA weights (or its raw weights), initialised in {@code m}.
     *
     * @throws IOException or IllegalArgumentException naming the file that does not fit
     */
    public dev.diffusion4j.model.UNet model(ai.djl.ndarray.NDManager m, boolean ema) throws IOException {
        String which = ema ? "ema" : "model";
        dev.diffusion4j.model.UNet net = new dev.diffusion4j.model.UNet(config.model());
        dev.diffusion4j.model.Weights.initialize(net, m, tensors(which), where(which + ".safetensors"));
        return net;
    }

    /**
     * How messages name one of this checkpoint's files: a built-in model's by its name ({@code builtin:mnist/ema.safetensors}),
     * not by the cache directory it was copied to; any other checkpoint's by its path.
     */
    public String where(String file) {
        return name.startsWith(Builtins.PREFIX) ? name.substring(0, name.indexOf(' ')) + "/" + file : dir.resolve(file).toString();
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}

package dev.diffusion4j.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.diffusion4j.data.AudioConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Defaults, then a YAML or JSON file, then flags: each layer may only name keys that the defaults
 * have, so a misspelt key is an error rather than silently ignored.
 */
public final class Configs {
    /** Sorted-key JSON, for files that describe themselves. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Configs() {}

    /** The defaults as a tree, to be overridden. */
    public static ObjectNode defaultsTree() {
        return JSON.valueToTree(TrainConfig.defaults());
    }

    /** A configuration file larger than this is refused before it is parsed. */
    public static final long MAX_CONFIG_BYTES = 1 << 20;

    /**
     * Overrides {@code base} with the file's keys (YAML for {@code .yaml}/{@code .yml}, else JSON).
     *
     * @return the file's own keys
     * @throws IllegalArgumentException naming the file and the unknown key or syntax error
     */
    public static ObjectNode mergeFile(ObjectNode base, Path file) {
        ObjectNode over = readFile(file);
        impliedFrequency(over);
        merge(base, over, "", file.toString());
        return over;
    }

    /**
     * The audio section a configuration file gives: the defaults overridden by the file's {@code audio} keys.
     *
     * @throws IllegalArgumentException naming the file and the unknown key or bad value
     */
    public static AudioConfig audioOf(Path file) {
        ObjectNode tree = defaultsTree();
        mergeFile(tree, file);
        try {
            return JSON.treeToValue(tree.get("audio"), AudioConfig.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": bad audio value: " + shorten(e.getOriginalMessage().replaceAll("\\s+", " ")));
        }
    }

    /** The keys of a configuration file (an empty mapping for an empty file). */
    static ObjectNode readFile(Path file) {
        JsonNode over;
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new IllegalArgumentException(file + ": " + size + " bytes is over the " + MAX_CONFIG_BYTES
                        + "-byte limit for a configuration file");
            }
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            ObjectMapper m = name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : JSON;
            over = m.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such config file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": " + shorten(e.getOriginalMessage().replaceAll("\\s+", " ")));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (over == null || over.isMissingNode() || over.isNull()) {
            return JSON.createObjectNode();
        }
        if (!over.isObject()) {
            throw new IllegalArgumentException(file + ": the config must be a mapping of keys to values");
        }
        return (ObjectNode) over;
    }

    /** Long values echoed in messages are cut to their first 80 characters. */
    public static String shorten(String text) {
        return text.replaceAll("(\"|')([^\"']{80})[^\"']{20,}(\"|')", "$1$2…$3");
    }

    /** Sets one dotted key, e.g. {@code training.steps}, as a flag would. */
    public static void set(ObjectNode base, String dottedKey, Object value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = base;
        for (int i = 0; i < parts.length - 1; i++) {
            node = (ObjectNode) node.get(parts[i]);
        }
        node.set(parts[parts.length - 1], JSON.valueToTree(value));
    }

    private static void merge(ObjectNode base, ObjectNode over, String path, String source) {
        for (Iterator<Map.Entry<String, JsonNode>> it = over.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = path + e.getKey();
            JsonNode old = base.get(e.getKey());
            if (old == null) {
                throw new IllegalArgumentException(source + ": unknown key '" + key + "'");
            }
            if (old.isObject()) {
                if (!e.getValue().isObject()) {
                    throw new IllegalArgumentException(source + ": '" + key + "' must be a mapping");
                }
                merge((ObjectNode) old, (ObjectNode) e.getValue(), key + ".", source);
            } else {
                base.set(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Turns the merged tree into a validated configuration.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static TrainConfig toConfig(ObjectNode tree) {
        try {
            return JSON.treeToValue(tree, TrainConfig.class).validate();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bad configuration value: " + shorten(e.getOriginalMessage().replaceAll("\\s+", " ")));
        }
    }

    /**
     * An audio section that names {@code nMels} but not {@code frequency} describes mel images (mel bands mean nothing to a
     * linear-frequency image), whatever the default frequency is: the file says so, so that it keeps meaning what it did
     * before linear images became the default.
     */
    static void impliedFrequency(ObjectNode over) {
        if (over.path("audio") instanceof ObjectNode audio && audio.has("nMels") && !audio.has("frequency")) {
            audio.put("frequency", AudioConfig.Frequency.MEL.name());
        }
    }

    /** Reads a configuration written by {@link #write}. */
    public static TrainConfig read(Path file) throws IOException {
        try {
            ObjectNode tree = defaultsTree();
            ObjectNode written = (ObjectNode) JSON.readTree(Files.readString(file));
            if (written.path("audio").isObject() && !written.path("audio").has("frequency")) {
                // written before images could be linear in frequency: every one of them was mel, whatever the defaults are now
                ((ObjectNode) written.get("audio")).put("frequency", AudioConfig.Frequency.MEL.name());
            }
            merge(tree, written, "", file.toString());
            return JSON.treeToValue(tree, TrainConfig.class);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IOException(file + ": not a diffusion4j configuration (" + e.getMessage().replaceAll("\\s+", " ") + ")");
        }
    }

    /** The configuration as sorted JSON. */
    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

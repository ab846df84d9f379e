package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.EditRequest;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.SamplerOptions;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.io.ImageFiles;
import dev.diffusion4j.train.Builtins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What the editing commands share: the model, the input, the class, guidance, sampler, seed, batch and --out. */
final class EditOptions {
    @Mixin
    CheckpointOption checkpoint = new CheckpointOption();

    @Mixin
    SamplerOptions sampler = new SamplerOptions();

    @Mixin
    SeedOption seed = new SeedOption(0);

    @Mixin
    BatchOption batch = new BatchOption(64);

    /** Exactly one input. */
    static final class Input {
        @Option(names = "--image", paramLabel = "FILE.png", description = "One image of the model's size.")
        Path image;

        @Option(names = "--samples", paramLabel = "FILE.npy", description = "An (N, C, H, W) uint8 .npy, as sample --out FILE.npy writes.")
        Path samples;

        @Option(names = "--wav", paramLabel = "FILE.wav", description = "For a model of sound: a clip, analysed as its training data was.")
        Path wav;

        Path file() {
            return image != null ? image : samples != null ? samples : wav;
        }
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--class", paramLabel = "CLASS",
            description = "For a class-conditional model: the class to complete or edit toward, by index or name. Without it the "
                    + "model works without a class (its \"no class\" label).")
    String classToken;

    @Option(names = "--guidance", paramLabel = "W", description = "Classifier-free guidance scale with --class. Default: the model's (1.5 unless its "
            + "configuration's sampling.guidance says otherwise).")
    Double guidance;

    @Option(names = "--out", required = true, description = "FILE.png (a grid), FILE.npy or a directory (one file per image; WAVs for sound).")
    Path out;

    DiffusionModel open() {
        return open(checkpoint);
    }

    /** The model --checkpoint names (the built-in one without it). */
    static DiffusionModel open(CheckpointOption checkpoint) {
        try {
            return DiffusionModel.open(new ModelSource(checkpoint.pathOr(Builtins.MNIST)));
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    Samples read(DiffusionModel model) {
        try {
            return model.read(input.file());
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    /** The request the options make, the class checked against the model. */
    EditRequest.Builder request(DiffusionModel model) {
        return request(model, false);
    }

    /**
     * The request the options make, the class checked against the model.
     *
     * @param classInferred whether the class will be inferred from the input (then --class is refused and --guidance
     *     allowed)
     */
    EditRequest.Builder request(DiffusionModel model, boolean classInferred) {
        EditRequest.Builder b = EditRequest.builder().sampler(sampler.spec()).seed(seed.seed).batch(batch.batch);
        if (classToken != null && classInferred) {
            throw new UserInputException("give at most one of --class and --infer-class");
        }
        if (classToken != null) {
            b.label(ClassChoice.one(classToken, model));
        } else if (guidance != null && !classInferred) {
            throw new UserInputException("--guidance needs --class");
        }
        if (guidance != null) {
            b.guidance(guidance);
        }
        return b;
    }

    void checkOut() {
        checkOut(out);
    }

    /** Checks {@code --out} before any work. */
    static void checkOut(Path out) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png") || name.endsWith(".npy")) {
            Outputs.requireWritableParent(out);
        } else if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UserInputException(out + ": not a directory (name a .png or .npy file, or a directory)");
        } else {
            Outputs.requireWritableDirectory(out);
        }
    }

    void write(List<Samples> rows) throws IOException {
        write(out, rows);
    }

    /**
     * The results as {@code out} names them; a PNG shows {@code rows} (e.g. input, masked input, result) one above the
     * other, and a directory holds the results' files and, for more than one row, that picture as {@code rows.png}.
     */
    static void write(Path out, List<Samples> rows) throws IOException {
        Samples result = rows.get(rows.size() - 1);
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) {
            result.writeNpy(out);
        } else if (name.endsWith(".png")) {
            writeRows(out, rows);
        } else {
            result.writeFiles(out);
            if (rows.size() > 1) {
                writeRows(out.resolve(ROWS_PICTURE), rows);
            }
        }
    }

    /** The picture of the rows in a directory that {@code --out} names. */
    static final String ROWS_PICTURE = "rows.png";

    private static void writeRows(Path png, List<Samples> rows) throws IOException {
        Samples result = rows.get(rows.size() - 1);
        int n = result.count();
        int per = result.channels() * result.height() * result.width();
        byte[] all = new byte[rows.size() * n * per];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r).pixels(), 0, all, r * n * per, n * per);
        }
        ImageFiles.writePng(png, ImageFiles.grid(all, rows.size() * n, result.channels(), result.height(), result.width(), n, 2));
    }

    /** Frames of {@code images} per second of sound, the scale of a {@code seconds:A-B} mask; 0 for images that are not sound. */
    static double framesPerSecond(Samples images) {
        return images.isAudio() ? images.audio().sampleRate() / (double) images.audio().hop() : 0;
    }

    static List<Samples> rows(Samples... rows) {
        return new ArrayList<>(List.of(rows));
    }
}

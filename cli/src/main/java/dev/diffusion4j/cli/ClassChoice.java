package dev.diffusion4j.cli;

import dev.diffusion4j.data.ClassNames;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --class} as the user wrote it (indices, names, or {@code all}) resolved against a
 * checkpoint's classes: the labels to sample, in order.
 */
final class ClassChoice {
    private ClassChoice() {}

    /**
     * The labels the tokens name.
     *
     * @param tokens e.g. {@code [7]}, {@code [3, 5]}, {@code [seven]} or {@code [all]}
     * @param names the checkpoint's class names (label order), possibly empty
     * @param classes K
     * @throws UserInputException naming the token and the classes there are
     */
    static List<Integer> resolve(List<String> tokens, List<String> names, int classes) {
        if (classes == 0) {
            throw new UserInputException("--class needs a class-conditional model; this checkpoint has model.classes = 0");
        }
        List<Integer> out = new ArrayList<>();
        for (String raw : tokens) {
            String tok = raw.trim();
            if (tok.equalsIgnoreCase("all")) {
                for (int k = 0; k < classes; k++) {
                    out.add(k);
                }
                continue;
            }
            int label = ClassNames.indexOf(tok, names, classes);
            if (label < 0) {
                throw new UserInputException("--class " + tok + ": not a class of this model (" + ClassNames.describe(names, classes) + ")");
            }
            out.add(label);
        }
        return out;
    }

    /**
     * The name of the one class {@code --class} names for {@code model} (by index or name), as the editing commands take it.
     *
     * @throws UserInputException for an unconditional model, or a token that names no class
     */
    static String one(String token, dev.diffusion4j.api.DiffusionModel model) {
        dev.diffusion4j.api.ModelInfo info = model.info();
        if (!info.conditional()) {
            throw new UserInputException("--class needs a class-conditional model; " + info.name() + " has model.classes = 0");
        }
        int k = ClassNames.indexOf(token, info.classNames(), info.classes());
        if (k < 0) {
            throw new UserInputException("--class " + token + ": not a class of this model (" + ClassNames.describe(info.classNames(), info.classes())
                    + ")");
        }
        return ClassNames.name(k, info.classNames());
    }
}

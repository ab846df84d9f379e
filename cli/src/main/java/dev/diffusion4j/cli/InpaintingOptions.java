package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.EditRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.edit.Inpainting;
import dev.diffusion4j.edit.Mask;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --repaint [--repaint-steps N] [--jump-length J] [--jump-count R]} or {@code --resample R}: how to inpaint; and
 * {@code --infer-class [--class-trials N]}: as which class.
 */
final class InpaintingOptions {
    @Option(names = "--repaint", description = "RePaint instead of the fast variant: a respaced ancestral chain with jumps back.")
    boolean repaint;

    @Option(names = "--repaint-steps", paramLabel = "N", description = "RePaint's chain length. Default: ${DEFAULT-VALUE}.")
    int repaintSteps = Inpainting.RePaintSettings.PAPER.steps();

    @Option(names = "--jump-length", paramLabel = "J", description = "RePaint's jump length j. Default: ${DEFAULT-VALUE}.")
    int jumpLength = Inpainting.RePaintSettings.PAPER.jumpLength();

    @Option(names = "--jump-count", paramLabel = "R", description = "RePaint's resampling count r (1: none). Default: ${DEFAULT-VALUE}.")
    int jumpCount = Inpainting.RePaintSettings.PAPER.jumpCount();

    @Option(names = "--resample", paramLabel = "R", description = "The fast variant: run each step R times. Default: ${DEFAULT-VALUE}.")
    int resample = 1;

    @Option(names = "--infer-class",
            description = "For a class-conditional model: complete each image as the class the model itself finds likeliest for its "
                    + "known region (the diffusion classifier on the known pixels), instead of without a class.")
    boolean inferClass;

    @Option(names = "--class-trials", paramLabel = "N",
            description = "With --infer-class: noise draws per image, each one network evaluation per class. Default: ${DEFAULT-VALUE}.")
    int classTrials = 50;

    /** The request with the method chosen. */
    EditRequest build(EditRequest.Builder b) {
        try {
            return repaint ? b.repaint(new Inpainting.RePaintSettings(repaintSteps, jumpLength, jumpCount)).build() : b.resample(resample).build();
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }

    /**
     * With --infer-class, each image's likeliest class from its known region, which the request then completes as; else
     * nothing.
     *
     * @return the inferred class names, or null without --infer-class
     */
    List<String> inferClasses(DiffusionModel model, Samples input, Mask mask, EditRequest.Builder b) {
        if (!inferClass) {
            return null;
        }
        if (!model.info().conditional()) {
            throw new UserInputException("--infer-class: " + model.info().name() + " is not class-conditional");
        }
        if (classTrials < 1) {
            throw new UserInputException("--class-trials must be at least 1, got " + classTrials);
        }
        List<String> classes = model.inferClasses(input, mask, classTrials, b.build());
        b.labels(classes);
        return classes;
    }

    /** The method in words, e.g. {@code RePaint 250 steps, j = 10, r = 10} or {@code dpm-solver++ 20 steps, resampled 3x}. */
    String describe(String sampler) {
        return repaint ? String.format(Locale.ROOT, "RePaint %d steps, j = %d, r = %d", repaintSteps, jumpLength, jumpCount)
                : sampler + (resample > 1 ? ", resampled " + resample + "x" : "");
    }
}

package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.Samples;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j edit}: image-to-image (SDEdit) with a trained model. */
@Command(name = "edit", mixinStandardHelpOptions = true,
        description = "Image-to-image (SDEdit, Meng et al. 2021): noise the input part of the way by (4) and let the sampler denoise it, "
                + "toward --class for a class-conditional model. --strength 0 returns the input, 1 samples afresh. "
                + "--out FILE.png shows two rows: the input and the result.")
public final class EditCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private EditOptions edit = new EditOptions();

    @Option(names = "--strength", required = true, paramLabel = "S", description = "How much of the sampler's grid runs, in [0, 1].")
    private double strength;

    @Override
    public Integer call() throws IOException {
        edit.checkOut();
        if (!(strength >= 0 && strength <= 1)) {
            throw new UserInputException("--strength must be in [0, 1], got " + strength);
        }
        try (DiffusionModel model = edit.open()) {
            Samples input = edit.read(model);
            long start = System.nanoTime();
            Samples done = model.edit(input, edit.request(model).strength(strength).build());
            edit.write(EditOptions.rows(input, done));
            spec.commandLine().getOut().printf(Locale.ROOT, "%d image(s) edited at strength %.2f (%s) in %.1f s -> %s%n", input.count(), strength,
                    edit.sampler.kind, (System.nanoTime() - start) / 1e9, edit.out);
        }
        return 0;
    }
}

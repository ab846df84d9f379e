package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.EditRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.edit.Mask;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j inpaint}: complete the unknown region of images with a trained model. */
@Command(name = "inpaint", mixinStandardHelpOptions = true,
        description = "Complete what a mask leaves unknown, keeping the rest of the input exactly: the known region is put back at "
                + "every step. By default inside the sampler of --sampler (fast); --repaint runs RePaint (Lugmayr et al. 2022) on the "
                + "ancestral sampler with its resampling. --infer-class completes each image as the class the model finds likeliest for what "
                + "is known. --out FILE.png shows three rows: the input, the masked input, the result.")
public final class InpaintCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private EditOptions edit = new EditOptions();

    @Option(names = "--mask", required = true, paramLabel = "MASK",
            description = "A PNG of the model's size (white = keep), or a region to fill in: bottom-half, top-half, left-half, right-half, "
                    + "center, random:P; for sound frames:A-B or seconds:A-B.")
    private String mask;

    @Mixin
    private InpaintingOptions method = new InpaintingOptions();

    @Override
    public Integer call() throws IOException {
        edit.checkOut();
        try (DiffusionModel model = edit.open()) {
            Samples input = edit.read(model);
            Mask m = mask(model, input);
            EditRequest.Builder b = edit.request(model, method.inferClass);
            long start = System.nanoTime();
            List<String> inferred = method.inferClasses(model, input, m, b);
            if (inferred != null) {
                spec.commandLine().getOut().println("class inferred from the known region: " + String.join(" ", inferred));
            }
            Samples done = model.inpaint(input, m, method.build(b));
            double secs = (System.nanoTime() - start) / 1e9;
            Samples masked = new Samples(m.hide(input.pixels(), input.count(), input.channels()), input.count(), input.channels(), input.height(),
                    input.width(), null, java.util.List.of(), input.audio(), 0);
            edit.write(EditOptions.rows(input, masked, done));
            spec.commandLine().getOut().printf(Locale.ROOT, "%d image(s) inpainted (%s, %d of %d pixels known) in %.1f s -> %s%n", input.count(),
                    method.describe(edit.sampler.kind.cliName()),
                    m.known(), m.height() * m.width(), secs, edit.out);
        }
        return 0;
    }

    private Mask mask(DiffusionModel model, Samples input) throws IOException {
        int h = model.info().height();
        int w = model.info().width();
        Path file = Path.of(mask);
        if (mask.toLowerCase(Locale.ROOT).endsWith(".png")) {
            if (!Files.isRegularFile(file)) {
                throw new UserInputException(mask + ": no such file");
            }
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null || img.getWidth() != w || img.getHeight() != h) {
                throw new UserInputException(mask + ": not a " + w + "x" + h + " PNG (the model's size)");
            }
            return Mask.fromImage(img);
        }
        try {
            return Mask.parse(mask, h, w, EditOptions.framesPerSecond(input));
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }
}

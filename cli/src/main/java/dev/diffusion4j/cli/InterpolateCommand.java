package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.EditRequest;
import dev.diffusion4j.api.Samples;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code diffusion4j interpolate A B}: frames between two images through their DDIM latents. */
@Command(name = "interpolate", mixinStandardHelpOptions = true,
        description = "Frames between two images (PNGs, or WAVs for a model of sound): both inverted by DDIM (eta 0, --steps, default 50), "
                + "their latents interpolated spherically, each decoded. --out FILE.png writes the strip.")
public final class InterpolateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A")
    private Path a;

    @Parameters(index = "1", paramLabel = "B")
    private Path b;

    @Mixin
    private SharedOptions.CheckpointOption checkpoint = new SharedOptions.CheckpointOption();

    @Option(names = "--frames", paramLabel = "N", description = "Frames, both ends included. Default: ${DEFAULT-VALUE}.")
    private int frames = 8;

    @Option(names = "--steps", paramLabel = "N", description = "DDIM steps. Default: ${DEFAULT-VALUE}.")
    private int steps = 50;

    @Option(names = "--class", split = ",", paramLabel = "CLASS",
            description = "For a class-conditional model: one class for both ends, or two (A's,B's); each frame takes the nearer end's.")
    private List<String> classes;

    @Option(names = "--out", required = true, description = "FILE.png (the strip), FILE.npy or a directory.")
    private Path out;

    @Override
    public Integer call() throws IOException {
        if (frames < 2) {
            throw new UserInputException("--frames must be at least 2, got " + frames);
        }
        EditOptions.checkOut(out);
        try (DiffusionModel model = EditOptions.open(checkpoint)) {
            Samples ea = read(model, a);
            Samples eb = read(model, b);
            byte[] both = new byte[ea.pixels().length + eb.pixels().length];
            System.arraycopy(ea.pixels(), 0, both, 0, ea.pixels().length);
            System.arraycopy(eb.pixels(), 0, both, ea.pixels().length, eb.pixels().length);
            Samples ends = new Samples(both, 2, ea.channels(), ea.height(), ea.width(), null, List.of(), ea.audio(), 0);
            EditRequest.Builder r = EditRequest.builder().sampler(dev.diffusion4j.sample.SamplerSpec.ddim(steps));
            if (classes != null) {
                r.labels(classes.size() == 1 ? List.of(ClassChoice.one(classes.get(0), model)) : classes.stream().map(c -> ClassChoice.one(c, model)).toList());
            }
            long start = System.nanoTime();
            Samples strip = model.interpolate(ends, frames, r.build());
            EditOptions.write(out, List.of(strip));
            spec.commandLine().getOut().printf(Locale.ROOT, "%d frames between %s and %s (DDIM %d) in %.1f s -> %s%n", frames, a, b, steps,
                    (System.nanoTime() - start) / 1e9, out);
        }
        return 0;
    }

    private static Samples read(DiffusionModel model, Path file) {
        try {
            Samples s = model.read(file);
            if (s.count() != 1) {
                throw new UserInputException(file + ": " + s.count() + " images; interpolation takes one at each end");
            }
            return s;
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
    }
}

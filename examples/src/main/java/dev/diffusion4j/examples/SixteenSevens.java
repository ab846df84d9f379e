package dev.diffusion4j.examples;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.ModelSource;
import dev.diffusion4j.api.SampleRequest;
import dev.diffusion4j.api.Samples;
import dev.diffusion4j.sample.SamplerSpec;
import java.nio.file.Path;

/** Sixteen sevens from the built-in MNIST model, as one PNG grid: {@code SixteenSevens [OUT.png]}. */
public final class SixteenSevens {
    private SixteenSevens() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "sevens.png");
        try (DiffusionModel model = DiffusionModel.open(ModelSource.builtin("mnist"))) {
            Samples sevens = model.sample(SampleRequest.builder().count(16).label("7").guidance(1.5)
                    .sampler(SamplerSpec.dpmSolverPlusPlus(20)).seed(0).build());
            sevens.writeGrid(out);
        }
        System.out.println("16 sevens -> " + out);
    }
}

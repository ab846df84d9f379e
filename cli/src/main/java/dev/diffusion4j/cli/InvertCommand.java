package dev.diffusion4j.cli;

import dev.diffusion4j.api.DiffusionModel;
import dev.diffusion4j.api.Samples;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code diffusion4j invert}: DDIM inversion, decoded back, with the reconstruction's PSNR. */
@Command(name = "invert", mixinStandardHelpOptions = true,
        description = "Invert images to x_T with DDIM (eta 0) in --steps steps (default 50) and decode them back the same way: prints "
                + "the reconstruction's PSNR; --out FILE.png shows the input and the reconstruction.")
public final class InvertCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private EditOptions edit = new EditOptions();

    @Override
    public Integer call() throws IOException {
        edit.checkOut();
        try (DiffusionModel model = edit.open()) {
            Samples input = edit.read(model);
            int steps = edit.sampler.steps != null ? edit.sampler.steps : 50;
            long start = System.nanoTime();
            Samples back = model.reconstruct(input, edit.request(model).sampler(dev.diffusion4j.sample.SamplerSpec.ddim(steps)).build());
            edit.write(EditOptions.rows(input, back));
            spec.commandLine().getOut().printf(Locale.ROOT, "%d image(s) inverted and decoded with DDIM %d: PSNR %.2f dB in %.1f s -> %s%n",
                    input.count(), steps, psnr(input.pixels(), back.pixels()), (System.nanoTime() - start) / 1e9, edit.out);
        }
        return 0;
    }

    /** 10 log10(255² / MSE) over all pixels. */
    static double psnr(byte[] a, byte[] b) {
        double se = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (a[i] & 0xff) - (b[i] & 0xff);
            se += d * d;
        }
        double mse = se / a.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
    }
}

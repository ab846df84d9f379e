package dev.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.cli.SharedOptions.NumOption;
import dev.diffusion4j.cli.SharedOptions.SeedOption;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.eval.Likelihood;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.train.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j eval nll}: the bound (17) in bits per dimension. */
@Command(name = "nll", mixinStandardHelpOptions = true,
        description = "Negative log-likelihood bound L = L_T + sum L_{t-1} + L_0 of (17), in bits/dim, per image; mean and standard error.")
public final class NllCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private CheckpointOption checkpoint = new CheckpointOption();

    @Option(names = "--data", required = true, converter = DataSpecConverter.class, description = "Data spec, e.g. mnist:DIR.")
    private DataSpec data;

    @Option(names = "--split", defaultValue = "test", description = "train or test. Default: ${DEFAULT-VALUE}.")
    private String split;

    /** Images: the first N of the split. */
    @Mixin
    private NumOption num = new NumOption(10000);

    @Mixin
    private BatchOption batch = new BatchOption(100);

    @Option(names = "--timesteps", defaultValue = "0",
            description = "0: every term; K: a stratified estimate of the KL terms from K timesteps per image. Default: ${DEFAULT-VALUE}.")
    private int strata;

    /** Seeds the noise and the stratified draws. */
    @Mixin
    private SeedOption seed = new SeedOption(0);

    @Option(names = "--no-ema", description = "Use the raw weights.")
    private boolean noEma;

    @Option(names = "--csv", description = "Write the mean of each exact term per timestep (needs --timesteps 0).")
    private Path csv;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (!checkpoint.given()) {
            throw new UserInputException("give --checkpoint RUN_DIR");
        }
        if (num.num < 1 || batch.batch < 1) {
            throw new UserInputException("--num and --batch must be at least 1");
        }
        if (csv != null && strata != 0) {
            throw new UserInputException("--csv lists every timestep's term: it needs --timesteps 0");
        }
        if (csv != null) {
            Outputs.requireWritableParent(csv);
        }
        Datasets.Split sp = parseSplit(split);
        Checkpoint ckpt = checkpoint.open();
        GaussianDiffusion d = ckpt.config().diffusion().build();
        ImageDataset images = Datasets.load(data, sp, ckpt.config().model().imageSize(), ckpt.config().model().channels(),
                ckpt.config().audio());
        long start = System.nanoTime();
        Djl.engine();
        Likelihood.Result r;
        try (NDManager m = NDManager.newBaseManager()) {
            UNet model = ckpt.model(m, !noEma);
            ParameterStore ps = new ParameterStore(m, false);
            int n = Math.min(num.num, images.count());
            r = Likelihood.bpd(Denoiser.of(model, ps), d, images, n, batch.batch, strata, Randomness.of(seed.seed), m,
                    k -> Outputs.progress(spec.commandLine().getErr(), k + "/" + n + " images"));
            Outputs.progressDone(spec.commandLine().getErr());
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double[] total = Likelihood.Result.meanAndSe(r.total());
        out.printf(Locale.ROOT, "NLL bound (%s, %d %s images, %s): %.4f ± %.4f bits/dim (standard error over images)%n",
                ckpt.name(), r.total().length, sp.name().toLowerCase(Locale.ROOT),
                strata == 0 ? "all " + d.schedule().steps() + " terms" : "stratified over " + strata + " timesteps", total[0], total[1]);
        out.printf(Locale.ROOT, "  prior L_T       %.6f%n", Likelihood.Result.meanAndSe(r.prior())[0]);
        out.printf(Locale.ROOT, "  decoder L_0     %.4f%n", Likelihood.Result.meanAndSe(r.decoder())[0]);
        int steps = d.schedule().steps();
        for (int q = 0; q < 4; q++) {
            out.printf(Locale.ROOT, "  L_{t-1}, t in quartile %d (t <= %d)  %.4f%n", q + 1, (q + 1) * steps / 4,
                    Likelihood.Result.meanAndSe(r.quartiles()[q])[0]);
        }
        out.printf(Locale.ROOT, "  wall time       %.1f s%n", secs);
        if (csv != null) {
            StringBuilder sb = new StringBuilder("t,term_bits_per_dim\n");
            for (int t = 1; t <= steps; t++) {
                sb.append(t).append(',').append(String.format(Locale.ROOT, "%.8g", r.perTimestep()[t])).append('\n');
            }
            AtomicFiles.write(csv, o -> o.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return 0;
    }

    static Datasets.Split parseSplit(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "train" -> Datasets.Split.TRAIN;
            case "test" -> Datasets.Split.TEST;
            default -> throw new UserInputException("--split must be train or test, got " + s);
        };
    }
}

package dev.diffusion4j.cli;

import dev.diffusion4j.io.Charts;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffusion4j schedule}: the per-timestep tables as CSV, and optionally a chart. */
@Command(
        name = "schedule",
        mixinStandardHelpOptions = true,
        description = "Write every per-timestep quantity of a beta schedule (t = 1..T) to CSV, optionally plot it.")
public final class ScheduleCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--schedule", defaultValue = "linear", converter = BetaScheduleConverter.class,
            description = "linear, cosine, sigmoid or file:PATH (one beta per line). Default: ${DEFAULT-VALUE}.")
    private BetaSchedule schedule;

    @Option(names = {"--steps", "-T"}, description = "T, the number of diffusion steps (default 1000; for file: the number of values).")
    private Integer steps;

    @Option(names = "--out", required = true, description = "CSV file to write.")
    private Path out;

    @Option(names = "--plot", description = "PNG file: alpha_bar and log SNR against t.")
    private Path plot;

    @Override
    public Integer call() throws IOException {
        int t = steps != null ? steps : schedule instanceof BetaSchedule.Custom c ? c.values().length : 1000;
        if (t < 1) {
            throw new ParameterException(spec.commandLine(), "--steps must be at least 1, got " + t);
        }
        NoiseSchedule s = NoiseSchedule.of(schedule, t);
        Outputs.requireWritableParent(out);
        if (plot != null) {
            Outputs.requireWritableParent(plot);
        }
        try {
            ScheduleCsv.write(s, out);
            if (plot != null) {
                writePlot(s, plot);
            }
        } catch (IOException e) {
            throw new UserInputException(e.getMessage(), e);
        }
        spec.commandLine().getOut().printf("%s schedule, T = %d: wrote %s%s%n", s.name(), t, out,
                plot != null ? " and " + plot : "");
        return 0;
    }

    static void writePlot(NoiseSchedule s, Path file) throws IOException {
        int n = s.steps();
        double[] ts = new double[n];
        double[] alphaBar = new double[n];
        double[] logSnr = new double[n];
        for (int t = 1; t <= n; t++) {
            ts[t - 1] = t;
            alphaBar[t - 1] = s.alphaBar(t);
            logSnr[t - 1] = Math.log(s.snr(t));
        }
        Charts.writePng(file, s.name() + " schedule, T = " + n, "t",
                "alpha_bar", List.of(new Charts.Series("alpha_bar", ts, alphaBar)),
                "log SNR", List.of(new Charts.Series("log SNR = log(alpha_bar / (1 - alpha_bar))", ts, logSnr)),
                900, 520);
    }
}

package dev.diffusion4j.cli;

import dev.diffusion4j.cli.SharedOptions.CheckpointOption;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.Wav;
import dev.diffusion4j.eval.AudioStatistics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j eval audio-stats}: spectral statistics of generated WAVs beside real ones. */
@Command(name = "audio-stats", mixinStandardHelpOptions = true,
        description = "Level, spectral centroid, roll-off, flatness and active duration (mean ± sd over clips) of generated "
                + "WAVs next to the test split of a real folder.")
public final class AudioStatsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--generated", required = true, description = "Folder of generated WAVs (e.g. the output of sample).")
    private Path generated;

    @Option(names = "--real", required = true, description = "Folder of real WAVs; its test split is used.")
    private Path real;

    /** Takes the audio settings from this run (default: the built-in ones). */
    @Mixin
    private CheckpointOption checkpoint = new CheckpointOption();

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        AudioConfig a = checkpoint.audio();
        List<Wav> allGen = AudioDatasets.files(generated).stream().map(Wav::read).toList();
        List<Wav> ref = AudioDatasets.files(real, Datasets.Split.TEST).stream().map(Wav::read).toList();
        List<AudioStatistics.Figure> g = AudioStatistics.of(allGen, a);
        List<AudioStatistics.Figure> r = AudioStatistics.of(ref, a);
        pw.printf(Locale.ROOT, "%-20s %24s %24s%n", "", "generated (" + allGen.size() + ")", "real test split (" + ref.size() + ")");
        for (int i = 0; i < g.size(); i++) {
            String unit = g.get(i).unit().isEmpty() ? "" : " " + g.get(i).unit();
            pw.printf(Locale.ROOT, "%-20s %24s %24s%n", g.get(i).name() + unit, fmt(g.get(i)), fmt(r.get(i)));
        }
        return 0;
    }

    private static String fmt(AudioStatistics.Figure f) {
        return String.format(Locale.ROOT, "%.3f ± %.3f", f.mean(), f.sd());
    }
}

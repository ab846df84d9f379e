package dev.diffusion4j.cli;

import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.schedule.NoiseSchedule;
import dev.diffusion4j.schedule.ScheduleRow;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/** The schedule as CSV: one row per t = 1..T, every value with 17 significant digits (exact round trip). */
public final class ScheduleCsv {
    private ScheduleCsv() {}

    /** Formats one value so that {@link Double#parseDouble} gives it back exactly. */
    public static String format(double v) {
        return String.format(Locale.ROOT, "%.16e", v);
    }

    /** Writes the table atomically. */
    public static void write(NoiseSchedule s, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            w.write(String.join(",", ScheduleRow.COLUMNS));
            w.write('\n');
            StringBuilder line = new StringBuilder(512);
            for (int t = 1; t <= s.steps(); t++) {
                line.setLength(0);
                line.append(t);
                for (double v : s.row(t).values()) {
                    line.append(',').append(format(v));
                }
                w.write(line.append('\n').toString());
            }
            w.flush();
        });
    }
}

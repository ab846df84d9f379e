package dev.diffusion4j.cli;

import dev.diffusion4j.schedule.BetaSchedule;
import picocli.CommandLine;

/** Parses {@code --schedule} values; a bad one is a usage error (exit 2). */
public final class BetaScheduleConverter implements CommandLine.ITypeConverter<BetaSchedule> {
    @Override
    public BetaSchedule convert(String value) {
        try {
            return BetaSchedule.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}

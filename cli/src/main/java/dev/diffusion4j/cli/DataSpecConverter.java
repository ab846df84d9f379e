package dev.diffusion4j.cli;

import dev.diffusion4j.data.DataSpec;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --data SPEC} to a {@link DataSpec}, parsed once at the edge. */
final class DataSpecConverter implements ITypeConverter<DataSpec> {
    @Override
    public DataSpec convert(String value) {
        try {
            return DataSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}

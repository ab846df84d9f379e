package dev.diffusion4j.engine;

import ai.djl.ndarray.types.Shape;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One square 2-D convolution problem as oneDNN's verbose log names it ({@code ONEDNN_VERBOSE=1}), e.g.
 * {@code mb64_ic32oc64_ih28oh14kh3sh2dh0ph1}: batch, input and output channels, input height, kernel, stride and
 * padding (square, no dilation). The shape lists and probes of docs/ENGINE.md and docs/PERFORMANCE.md
 * ({@code scripts/probes/}) are written in it, so that the lines of a verbose log can be pasted as they are.
 *
 * @param batch images in the batch (mb)
 * @param inChannels input channels (ic)
 * @param outChannels filters (oc)
 * @param size input height and width (ih)
 * @param kernel kernel height and width (kh)
 * @param stride stride (sh)
 * @param pad zero padding on each side (ph)
 */
public record ConvProblem(int batch, int inChannels, int outChannels, int size, int kernel, int stride, int pad) {
    private static final Pattern NOTATION =
            Pattern.compile("mb(\\d+)_ic(\\d+)oc(\\d+)_ih(\\d+)oh(\\d+)kh(\\d+)sh(\\d+)dh0ph(\\d+)");

    /**
     * The first problem written anywhere in {@code line} (a verbose log line carries more around it), or empty if
     * there is none.
     *
     * @throws IllegalArgumentException if the line names an output height that its input, kernel, stride and
     *     padding do not give
     */
    public static Optional<ConvProblem> find(String line) {
        Matcher m = NOTATION.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        ConvProblem p = new ConvProblem(group(m, 1), group(m, 2), group(m, 3), group(m, 4), group(m, 6), group(m, 7),
                group(m, 8));
        if (p.outputSize() != group(m, 5)) {
            throw new IllegalArgumentException(m.group() + ": output height " + group(m, 5) + ", but its input, kernel,"
                    + " stride and padding give " + p.outputSize());
        }
        return Optional.of(p);
    }

    private static int group(Matcher m, int i) {
        return Integer.parseInt(m.group(i));
    }

    /** The output height and width, (size + 2 pad - kernel) / stride + 1. */
    public int outputSize() {
        return (size + 2 * pad - kernel) / stride + 1;
    }

    /** (batch, inChannels, size, size). */
    public Shape inputShape() {
        return new Shape(batch, inChannels, size, size);
    }

    /** (outChannels, inChannels, kernel, kernel). */
    public Shape weightShape() {
        return new Shape(outChannels, inChannels, kernel, kernel);
    }

    /** (stride, stride), as DJL's {@code Conv2d.conv2d} takes it. */
    public Shape strideShape() {
        return new Shape(stride, stride);
    }

    /** (pad, pad), as DJL's {@code Conv2d.conv2d} takes it. */
    public Shape padShape() {
        return new Shape(pad, pad);
    }

    /** The problem in oneDNN's notation, as {@link #find} reads it. */
    public String notation() {
        return "mb%d_ic%doc%d_ih%doh%dkh%dsh%ddh0ph%d".formatted(batch, inChannels, outChannels, size, outputSize(), kernel,
                stride, pad);
    }
}

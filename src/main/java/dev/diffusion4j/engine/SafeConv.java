package dev.diffusion4j.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * The project's only door to 2-D convolution (docs/ENGINE.md, "Convolution input gradients").
 *
 * <p>On an AVX-512 EPYC (Zen 4), oneDNN as bundled with PyTorch 2.7.1 intermittently returned a wrong
 * (even NaN) gradient with respect to the <em>input</em> of a stride-1 3x3 convolution whose number
 * of output channels is not a multiple of 16; on an AVX2-only EPYC (Zen 3) it did not. The exact and
 * nearly free work-around, kept on every CPU: append zero filters up to the next multiple of 16,
 * convolve, and keep the first channels. The zero filters add nothing to the output and their weight
 * gradient is discarded by the concatenation's backward. It fixes that fault exactly; a second
 * AVX-512 fault, seen on Zen 5 with this padding in place, is what {@link OneDnn}'s cap is for. A test
 * scans the compiled classes and fails if any other class calls DJL's {@code Conv2d} directly.
 */
public final class SafeConv {
    /** The channel multiple at which oneDNN's input gradient was measured right. */
    public static final int CHANNEL_MULTIPLE = 16;

    private SafeConv() {}

    /**
     * 2-D convolution, NCHW, with dilation 1 and one group.
     *
     * @param input (N, C_in, H, W)
     * @param weight (C_out, C_in, kH, kW)
     * @param bias (C_out) or {@code null}
     * @param stride (sH, sW)
     * @param padding (pH, pW)
     * @return (N, C_out, H', W')
     */
    public static NDArray conv2d(NDArray input, NDArray weight, NDArray bias, Shape stride, Shape padding) {
        long out = weight.getShape().get(0);
        long padded = paddedChannels(weight.getShape(), stride);
        if (padded == out) {
            return Conv2d.conv2d(input, weight, bias, stride, padding).singletonOrThrow();
        }
        Shape extra = new Shape(padded - out, weight.getShape().get(1), weight.getShape().get(2), weight.getShape().get(3));
        // concatenations whose first operand is a parameter land in its manager: move them to the step's
        NDArray w = weight.concat(input.getManager().zeros(extra, weight.getDataType()), 0);
        w.attach(input.getManager());
        NDArray b = null;
        if (bias != null) {
            b = bias.concat(input.getManager().zeros(new Shape(padded - out), bias.getDataType()), 0);
            b.attach(input.getManager());
        }
        NDArray y = Conv2d.conv2d(input, w, b, stride, padding).singletonOrThrow();
        return y.get(new NDIndex(":, 0:{}", out));
    }

    /**
     * The number of filters actually convolved: {@code C_out} rounded up to a multiple of {@link
     * #CHANNEL_MULTIPLE} for stride-1 kernels larger than 1x1 (the measured-wrong case), else {@code
     * C_out}.
     */
    static long paddedChannels(Shape weightShape, Shape stride) {
        long out = weightShape.get(0);
        boolean pointwise = weightShape.get(2) == 1 && weightShape.get(3) == 1;
        boolean strided = stride.get(0) != 1 || stride.get(1) != 1;
        if (pointwise || strided || out % CHANNEL_MULTIPLE == 0) {
            return out;
        }
        return (out + CHANNEL_MULTIPLE - 1) / CHANNEL_MULTIPLE * CHANNEL_MULTIPLE;
    }
}

package dev.diffusion4j.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * The project's only door to 2-D convolution (docs/ENGINE.md, "Convolution input gradients" and
 * "Input-channel tails").
 *
 * <p>oneDNN as bundled with PyTorch 2.7.1 gets some channel counts of 3x3 convolutions wrong on the
 * project's CPUs: the input gradient of a stride-1 kernel whose filters are not a multiple of 16 (Zen 4
 * and Zen 5, intermittent, even NaN); the forward pass of a kernel whose input channels exceed 8 and are
 * not a multiple of the kernel's block (16 under AVX-512, 8 under AVX2; Zen 5, every time); and, under
 * AVX-512, the input gradient of a strided kernel at odd multiples of 16 input channels. All are
 * routed around exactly and on every CPU by zero padding: zero filters appended up to the next multiple
 * of 16 (their outputs are sliced off, so they add nothing and get no gradient), and zero input
 * channels with zero weights appended up to a multiple of 16, or of 32 for strided kernels (they add
 * nothing to the output; the slices of their gradients are dropped by the concatenations' backward).
 * The default UNets need no padding but the 32→1 output convolution's. A test scans the compiled
 * classes and fails if any other class calls DJL's {@code Conv2d} directly.
 */
public final class SafeConv {
    /** The channel multiple at which oneDNN's convolutions were measured right with every instruction set. */
    public static final int CHANNEL_MULTIPLE = 16;

    /**
     * Up to this many input channels oneDNN takes its first-layer kernels, measured right for 1 to 8
     * input channels under AVX2 and AVX-512: no padding of the input there (images have 1 or 3).
     */
    public static final int FIRST_LAYER_CHANNELS = 8;

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
        Shape ws = weight.getShape();
        long out = ws.get(0);
        long in = ws.get(1);
        long filters = paddedChannels(ws, stride);
        long channels = paddedInputChannels(ws, stride);
        if (filters == out && channels == in) {
            return Conv2d.conv2d(input, weight, bias, stride, padding).singletonOrThrow();
        }
        // concatenations whose first operand is a parameter land in its manager: move them to the step's
        NDManager m = input.getManager();
        NDArray x = input;
        NDArray w = weight;
        NDArray b = bias;
        if (channels != in) {
            Shape is = input.getShape();
            x = input.concat(m.zeros(new Shape(is.get(0), channels - in, is.get(2), is.get(3)), input.getDataType()), 1);
            w = weight.concat(m.zeros(new Shape(out, channels - in, ws.get(2), ws.get(3)), weight.getDataType()), 1);
            w.attach(m);
        }
        if (filters != out) {
            w = w.concat(m.zeros(new Shape(filters - out, channels, ws.get(2), ws.get(3)), weight.getDataType()), 0);
            w.attach(m);
            if (bias != null) {
                b = bias.concat(m.zeros(new Shape(filters - out), bias.getDataType()), 0);
                b.attach(m);
            }
        }
        NDArray y = Conv2d.conv2d(x, w, b, stride, padding).singletonOrThrow();
        return filters == out ? y : y.get(new NDIndex(":, 0:{}", out));
    }

    /**
     * The number of input channels actually convolved, for kernels larger than 1x1 with more than {@link
     * #FIRST_LAYER_CHANNELS} input channels (the measured-wrong cases): {@code C_in} rounded up to a
     * multiple of {@link #CHANNEL_MULTIPLE}, or of twice that for a strided kernel with more than {@link
     * #CHANNEL_MULTIPLE} input channels (AVX-512's strided input gradient was wrong at 48, 80, 112, … and
     * right at 16, 32, 64, 96, …); else {@code C_in}.
     */
    static long paddedInputChannels(Shape weightShape, Shape stride) {
        long in = weightShape.get(1);
        boolean pointwise = weightShape.get(2) == 1 && weightShape.get(3) == 1;
        if (pointwise || in <= FIRST_LAYER_CHANNELS) {
            return in;
        }
        boolean strided = stride.get(0) != 1 || stride.get(1) != 1;
        long multiple = strided && in > CHANNEL_MULTIPLE ? 2L * CHANNEL_MULTIPLE : CHANNEL_MULTIPLE;
        return roundUp(in, multiple);
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
        return roundUp(out, CHANNEL_MULTIPLE);
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}

package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.TorchKernels;

/**
 * Group normalisation (Wu and He, 2018), which DJL lacks: the channels are split into groups, each
 * group of each sample is normalised to zero mean and unit variance over its channels and pixels,
 * then every channel is scaled and shifted. Runs as libtorch's {@code group_norm} through {@link
 * TorchKernels}, optionally followed by SiLU in the same call; where those kernels are off, as
 * libtorch's layer norm over (C/G, H, W) followed by DJL's product and sum.
 */
public final class GroupNorm extends Module {
    private final int groups;
    private final int channels;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;

    public GroupNorm(int groups, int channels) {
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels cannot be split into " + groups + " groups");
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = 1e-5f;
        this.gamma = param("weight", new Shape(channels), new Init.Ones());
        this.beta = param("bias", new Shape(channels), new Init.Zeros());
    }

    /** The largest divisor of {@code channels} that is at most {@code wanted}. */
    public static int groupsFor(int channels, int wanted) {
        for (int g = Math.min(wanted, channels); g > 1; g--) {
            if (channels % g == 0) {
                return g;
            }
        }
        return 1;
    }

    /** (N, C, H, W) to the same shape. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, x, training, false);
    }

    /** SiLU(GroupNorm(x)), the pair that opens every residual block and the output head. */
    public NDArray forwardSilu(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, x, training, true);
    }

    private NDArray forward(ParameterStore ps, NDArray x, boolean training, boolean silu) {
        NDArray weight = value(ps, gamma, x, training);
        NDArray bias = value(ps, beta, x, training);
        NDArray fused = TorchKernels.groupNorm(x, groups, weight, bias, eps, silu);
        if (fused != null) {
            return fused;
        }
        NDArray y = layerNormAffine(x, weight, bias);
        return silu ? Ops.silu(y) : y;
    }

    /** The same with DJL's operators: layer norm over each group, then scale and shift. */
    private NDArray layerNormAffine(NDArray x, NDArray weight, NDArray bias) {
        Shape s = x.getShape();
        long n = s.get(0);
        long h = s.get(2);
        long w = s.get(3);
        Shape normalized = new Shape(channels / groups, h, w);
        NDArray grouped = x.reshape(n, groups, channels / groups, h, w);
        NDArray one = x.getManager().ones(normalized, x.getDataType());
        NDArray zero = x.getManager().zeros(normalized, x.getDataType());
        NDArray y = LayerNorm.layerNorm(grouped, normalized, one, zero, eps).singletonOrThrow().reshape(s);
        NDArray g = local(weight.reshape(1, channels, 1, 1), x);
        NDArray b = local(bias.reshape(1, channels, 1, 1), x);
        return Ops.affineInto(y, g, b);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

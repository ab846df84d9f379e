package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;

/**
 * Group normalisation (Wu and He, 2018), which DJL lacks: the channels are split into groups, each
 * group of each sample is normalised to zero mean and unit variance over its channels and pixels,
 * then every channel is scaled and shifted. Runs as libtorch's fused layer norm over (C/G, H, W).
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
        this.gamma = param("weight", new Shape(channels), Initializers.ones());
        this.beta = param("bias", new Shape(channels), Initializers.zeros());
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
        Shape s = x.getShape();
        long n = s.get(0);
        long h = s.get(2);
        long w = s.get(3);
        Shape normalized = new Shape(channels / groups, h, w);
        NDArray grouped = x.reshape(n, groups, channels / groups, h, w);
        NDArray one = x.getManager().ones(normalized, x.getDataType());
        NDArray zero = x.getManager().zeros(normalized, x.getDataType());
        NDArray y = LayerNorm.layerNorm(grouped, normalized, one, zero, eps).singletonOrThrow().reshape(s);
        NDArray g = local(value(ps, gamma, x, training).reshape(1, channels, 1, 1), x);
        NDArray b = local(value(ps, beta, x, training).reshape(1, channels, 1, 1), x);
        return Ops.affineInto(y, g, b);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

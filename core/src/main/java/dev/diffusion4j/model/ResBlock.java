package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;

/**
 * The DDPM residual block: h = conv(SiLU(GN(x))); h += Linear(SiLU(emb)) per channel; h =
 * conv(dropout(SiLU(GN(h)))); out = skip(x) + h, with a 1x1 convolution as skip when the channel
 * count changes. The second convolution starts at zero, so the block starts as the identity.
 */
public final class ResBlock extends Module {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear embProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d skip;
    private final double dropout;

    public ResBlock(int in, int out, int embDim, double dropout, int groups) {
        this.norm1 = child("norm1", new GroupNorm(GroupNorm.groupsFor(in, groups), in));
        this.conv1 = child("conv1", new Conv2d(in, out, 3, 1, false));
        this.embProj = child("emb", new Linear(embDim, out));
        this.norm2 = child("norm2", new GroupNorm(GroupNorm.groupsFor(out, groups), out));
        this.conv2 = child("conv2", new Conv2d(out, out, 3, 1, true));
        this.skip = in == out ? null : child("skip", new Conv2d(in, out, 1, 1, false));
        this.dropout = dropout;
    }

    /**
     * @param x (N, C_in, H, W)
     * @param emb (N, embDim), the timestep embedding
     * @return (N, C_out, H, W)
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray emb, boolean training) {
        NDArray h = conv1.forward(ps, norm1.forwardSilu(ps, x, training), training);
        NDArray e = embProj.forward(ps, Ops.silu(emb), training);
        h = Ops.addInto(h, e.reshape(e.getShape().get(0), e.getShape().get(1), 1, 1));
        h = norm2.forwardSilu(ps, h, training);
        if (training && dropout > 0) {
            h = Ops.dropout(h, dropout);
        }
        h = conv2.forward(ps, h, training);
        return Ops.addInto(h, skip == null ? x : skip.forward(ps, x, training)); // h is this block's own temporary
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.get(0), inputs.get(1), training);
    }
}

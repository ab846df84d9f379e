package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;

/**
 * Multi-head self-attention over the pixels of a feature map, with a residual connection:
 * x + proj(softmax(qᵀk / √d) v) where q, k, v are 1x1 convolutions of GroupNorm(x).
 */
public final class Attention extends Module {
    private final int channels;
    private final int heads;
    private final GroupNorm norm;
    private final Conv2d qkv;
    private final Conv2d proj;

    public Attention(int channels, int heads, int groups) {
        if (channels % heads != 0) {
            throw new IllegalArgumentException(channels + " channels cannot be split into " + heads + " heads");
        }
        this.channels = channels;
        this.heads = heads;
        this.norm = child("norm", new GroupNorm(GroupNorm.groupsFor(channels, groups), channels));
        this.qkv = child("qkv", new Conv2d(channels, 3 * channels, 1, 1, false));
        this.proj = child("proj", new Conv2d(channels, channels, 1, 1, true));
    }

    /** (N, C, H, W) to the same shape. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        Shape s = x.getShape();
        long n = s.get(0);
        long hw = s.get(2) * s.get(3);
        long d = channels / heads;
        NDArray qkvOut = qkv.forward(ps, norm.forward(ps, x, training), training).reshape(n * heads, 3, d, hw);
        NDArray q = qkvOut.get(":, 0"); // (N·heads, d, HW)
        NDArray k = qkvOut.get(":, 1");
        NDArray v = qkvOut.get(":, 2");
        NDArray scores = Ops.mul(q.transpose(0, 2, 1).batchMatMul(k), 1 / Math.sqrt(d)); // (N·heads, HW, HW)
        NDArray attn = scores.softmax(2);
        NDArray out = v.batchMatMul(attn.transpose(0, 2, 1)).reshape(s); // (N·heads, d, HW) -> (N, C, H, W)
        FlopCounter.add(2 * (2 * n * heads * hw * hw * d)); // the two products above
        return x.add(proj.forward(ps, out, training));
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The DDPM network ε_θ(x_t, t): a UNet with a timestep embedding added in every residual block,
 * self-attention at the configured resolutions, and skip connections from each block on the way
 * down to the matching block on the way up. A class-conditional network ({@code classes} &gt; 0)
 * adds a learned class embedding to the timestep embedding: ε_θ(x_t, t, y). A network that takes the guidance scale
 * as an input ({@link UNetConfig#guidanceInput()}, a guided-distillation student) adds a third embedding, of w: the
 * timestep's sinusoidal features and MLP applied to {@value #GUIDANCE_FEATURE_SCALE}·w, its last layer starting at zero.
 */
public final class UNet extends Module {
    private final UNetConfig config;
    private final TimestepEmbedding time;
    private final ClassEmbedding label;
    private final TimestepEmbedding guidance;
    private final Conv2d in;
    private final List<Level> down = new ArrayList<>();
    private final ResBlock mid1;
    private final Attention midAttn;
    private final ResBlock mid2;
    private final List<Level> up = new ArrayList<>();
    private final GroupNorm outNorm;
    private final Conv2d out;

    /** One resolution: its blocks, each optionally followed by attention, then a resampler or none. */
    private record Level(List<ResBlock> blocks, List<Attention> attention, Module resample) {}

    public UNet(UNetConfig c) {
        this.config = c;
        int base = c.baseChannels();
        int emb = 4 * base;
        int groups = c.normGroups();
        this.time = child("time", new TimestepEmbedding(base, emb));
        this.label = c.conditional() ? child("label", new ClassEmbedding(c.classes(), emb)) : null;
        this.guidance = c.guidanceInput() ? child("guidance", new TimestepEmbedding(base, emb, true)) : null;
        this.in = child("in", new Conv2d(c.channels(), base, 3, 1, false));
        List<Integer> skipChannels = new ArrayList<>();
        skipChannels.add(base);
        int ch = base;
        int res = c.height(); // attention resolutions name feature-map heights
        int levels = c.channelMults().size();
        for (int i = 0; i < levels; i++) {
            int outCh = base * c.channelMults().get(i);
            List<ResBlock> blocks = new ArrayList<>();
            List<Attention> attn = new ArrayList<>();
            for (int b = 0; b < c.resBlocks(); b++) {
                blocks.add(child("down." + i + ".res." + b, new ResBlock(ch, outCh, emb, c.dropout(), groups)));
                ch = outCh;
                attn.add(c.attentionResolutions().contains(res)
                        ? child("down." + i + ".attn." + b, new Attention(ch, c.heads(), groups)) : null);
                skipChannels.add(ch);
            }
            Module resample = null;
            if (i < levels - 1) {
                resample = child("down." + i + ".downsample", new Downsample(ch));
                skipChannels.add(ch);
                res /= 2;
            }
            down.add(new Level(blocks, attn, resample));
        }
        this.mid1 = child("mid.res1", new ResBlock(ch, ch, emb, c.dropout(), groups));
        this.midAttn = child("mid.attn", new Attention(ch, c.heads(), groups));
        this.mid2 = child("mid.res2", new ResBlock(ch, ch, emb, c.dropout(), groups));
        for (int i = levels - 1; i >= 0; i--) {
            int outCh = base * c.channelMults().get(i);
            List<ResBlock> blocks = new ArrayList<>();
            List<Attention> attn = new ArrayList<>();
            for (int b = 0; b <= c.resBlocks(); b++) {
                int skip = skipChannels.remove(skipChannels.size() - 1);
                blocks.add(child("up." + i + ".res." + b, new ResBlock(ch + skip, outCh, emb, c.dropout(), groups)));
                ch = outCh;
                attn.add(c.attentionResolutions().contains(res)
                        ? child("up." + i + ".attn." + b, new Attention(ch, c.heads(), groups)) : null);
            }
            Module resample = null;
            if (i > 0) {
                resample = child("up." + i + ".upsample", new Upsample(ch));
                res *= 2;
            }
            up.add(new Level(blocks, attn, resample));
        }
        this.outNorm = child("out.norm", new GroupNorm(GroupNorm.groupsFor(ch, groups), ch));
        this.out = child("out.conv", new Conv2d(ch, c.channels(), 3, 1, true));
    }

    /** The configuration. */
    public UNetConfig config() {
        return config;
    }

    /** ε_θ(x_t, t), unconditional: a class-conditional network is given the "no class" label. */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray t, boolean training) {
        return forward(ps, x, t, null, training);
    }

    /**
     * ε_θ(x_t, t, y) of a network that does not take the guidance scale.
     *
     * @param x (N, C, H, W)
     * @param t (N) integer timesteps
     * @param labels (N) integer labels in 0..K (K: no class), or null for no class; ignored by an
     *     unconditional network
     * @return (N, C, H, W)
     * @throws IllegalArgumentException for a network that takes the guidance scale as an input
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray t, NDArray labels, boolean training) {
        return forward(ps, x, t, labels, null, training);
    }

    /** What w's embedding is applied to: {@value}·w, so that the usual scales 0..5 spread like timesteps do. */
    public static final double GUIDANCE_FEATURE_SCALE = 100;

    /**
     * ε_θ(x_t, t, y, w): the output at guidance scale w, for a network that takes it as an input.
     *
     * @param x (N, C, H, W)
     * @param t (N) integer timesteps
     * @param labels (N) integer labels in 0..K (K: no class), or null for no class
     * @param w (N) guidance scales, float; required exactly when {@link UNetConfig#guidanceInput()}
     * @return (N, C, H, W)
     * @throws IllegalArgumentException when w is given to a network that does not take it, or missing for one that does
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray t, NDArray labels, NDArray w, boolean training) {
        if ((w != null) != config.guidanceInput()) {
            throw new IllegalArgumentException(config.guidanceInput()
                    ? "this network takes the guidance scale as an input; none was given"
                    : "this network does not take the guidance scale as an input");
        }
        long n = x.getShape().get(0);
        if (label != null && labels == null) {
            labels = x.getManager().full(new ai.djl.ndarray.types.Shape(n), config.nullLabel(), ai.djl.ndarray.types.DataType.INT64);
        }
        if (n <= INFERENCE_CHUNK || Ops.gradientRecording()) {
            return forwardBatch(ps, x, t, labels, w, training);
        }
        // without autograd the images are independent: large batches go through in chunks, each in its own
        // scope, so that activations stay small enough for the allocator to reuse (docs/PERFORMANCE.md)
        NDManager owner = x.getManager();
        NDList parts = new NDList();
        for (long from = 0; from < n; from += INFERENCE_CHUNK) {
            long to = Math.min(n, from + INFERENCE_CHUNK);
            try (NDManager chunk = owner.newSubManager()) {
                NDArray xc = x.get(new NDIndex("{}:{}", from, to));
                xc.attach(chunk);
                NDArray tc = t.get(new NDIndex("{}:{}", from, to));
                tc.attach(chunk);
                NDArray lc = null;
                if (labels != null && label != null) {
                    lc = labels.get(new NDIndex("{}:{}", from, to));
                    lc.attach(chunk);
                }
                NDArray wc = null;
                if (w != null) {
                    wc = w.get(new NDIndex("{}:{}", from, to));
                    wc.attach(chunk);
                }
                NDArray y = forwardBatch(ps, xc, tc, lc, wc, training);
                y.attach(owner);
                parts.add(y);
            }
        }
        NDArray out = NDArrays.concat(parts, 0);
        parts.close();
        return out;
    }

    /** The largest batch a forward pass without autograd takes in one go. */
    public static final int INFERENCE_CHUNK = 128;

    private NDArray forwardBatch(ParameterStore ps, NDArray x, NDArray t, NDArray labels, NDArray w, boolean training) {
        NDArray emb = time.forward(ps, t, training);
        if (label != null) {
            emb = emb.add(local(label.forward(ps, labels, training), emb));
        }
        if (guidance != null) {
            emb = emb.add(local(guidance.forward(ps, Ops.mul(w.toType(ai.djl.ndarray.types.DataType.FLOAT32, false),
                    GUIDANCE_FEATURE_SCALE), training), emb));
        }
        Deque<NDArray> skips = new ArrayDeque<>();
        NDArray h = in.forward(ps, x, training);
        skips.push(h);
        for (Level level : down) {
            for (int b = 0; b < level.blocks().size(); b++) {
                h = level.blocks().get(b).forward(ps, h, emb, training);
                if (level.attention().get(b) != null) {
                    h = level.attention().get(b).forward(ps, h, training);
                }
                skips.push(h);
            }
            if (level.resample() != null) {
                h = ((Downsample) level.resample()).forward(ps, h, training);
                skips.push(h);
            }
        }
        h = mid1.forward(ps, h, emb, training);
        h = midAttn.forward(ps, h, training);
        h = mid2.forward(ps, h, emb, training);
        for (Level level : up) {
            for (int b = 0; b < level.blocks().size(); b++) {
                h = level.blocks().get(b).forward(ps, h.concat(skips.pop(), 1), emb, training);
                if (level.attention().get(b) != null) {
                    h = level.attention().get(b).forward(ps, h, training);
                }
            }
            if (level.resample() != null) {
                h = ((Upsample) level.resample()).forward(ps, h, training);
            }
        }
        return out.forward(ps, outNorm.forwardSilu(ps, h, training), training);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.get(0), inputs.get(1), inputs.size() > 2 ? inputs.get(2) : null,
                inputs.size() > 3 ? inputs.get(3) : null, training);
    }
}

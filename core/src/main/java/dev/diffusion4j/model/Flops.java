package dev.diffusion4j.model;

/**
 * Floating-point operations of a {@link UNet} forward pass, counted from its architecture: every
 * convolution (2·C_in·C_out·k²·H_out·W_out), linear layer (2·in·out; the class embedding's one-hot
 * product is one) and the two attention matmuls (2·HW·HW·C each). Normalisation, activations and other element-wise work are left out, as is the
 * zero padding of channels that {@link dev.diffusion4j.engine.SafeConv} adds: the count is
 * the useful work, the figure achieved rates are measured against.
 */
public final class Flops {
    private Flops() {}

    /** FLOPs of one forward pass for one image. */
    public static long forwardPerImage(UNetConfig c) {
        int base = c.baseChannels();
        int emb = 4 * base;
        long hw = (long) c.height() * c.width();
        long f = linear(base, emb) + linear(emb, emb) + (c.conditional() ? linear(c.classes() + 1, emb) : 0);
        f += conv(c.channels(), base, 3, hw);
        java.util.List<Integer> skips = new java.util.ArrayList<>();
        skips.add(base);
        int ch = base;
        int res = c.height();
        int cols = c.width();
        int levels = c.channelMults().size();
        for (int i = 0; i < levels; i++) {
            int out = base * c.channelMults().get(i);
            for (int b = 0; b < c.resBlocks(); b++) {
                f += resBlock(ch, out, emb, (long) res * cols);
                ch = out;
                if (c.attentionResolutions().contains(res)) {
                    f += attention(ch, (long) res * cols);
                }
                skips.add(ch);
            }
            if (i < levels - 1) {
                res /= 2;
                cols /= 2;
                f += conv(ch, ch, 3, (long) res * cols);
                skips.add(ch);
            }
        }
        f += 2 * resBlock(ch, ch, emb, (long) res * cols) + attention(ch, (long) res * cols);
        for (int i = levels - 1; i >= 0; i--) {
            int out = base * c.channelMults().get(i);
            for (int b = 0; b <= c.resBlocks(); b++) {
                int skip = skips.remove(skips.size() - 1);
                f += resBlock(ch + skip, out, emb, (long) res * cols);
                ch = out;
                if (c.attentionResolutions().contains(res)) {
                    f += attention(ch, (long) res * cols);
                }
            }
            if (i > 0) {
                res *= 2;
                cols *= 2;
                f += conv(ch, ch, 3, (long) res * cols);
            }
        }
        return f + conv(ch, c.channels(), 3, hw);
    }

    /** A k x k convolution producing {@code outPixels} output positions. */
    public static long conv(long in, long out, int k, long outPixels) {
        return 2 * in * out * k * k * outPixels;
    }

    static long linear(long in, long out) {
        return 2 * in * out;
    }

    static long resBlock(int in, int out, int emb, long hw) {
        long f = conv(in, out, 3, hw) + linear(emb, out) + conv(out, out, 3, hw);
        return in == out ? f : f + conv(in, out, 1, hw);
    }

    static long attention(int ch, long hw) {
        return conv(ch, 3L * ch, 1, hw) + 2 * (2 * hw * hw * ch) + conv(ch, ch, 1, hw);
    }
}

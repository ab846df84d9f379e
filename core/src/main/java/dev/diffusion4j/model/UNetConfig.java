package dev.diffusion4j.model;

import java.util.List;

/**
 * The shape of a {@link UNet}.
 *
 * @param imageSize H of the input (and W, unless {@code imageWidth} says otherwise); divisible by
 *     2^(levels - 1)
 * @param channels image channels: 1 for digits and mel-spectrograms, 3 for RGB
 * @param baseChannels channels at the first level
 * @param channelMults channels of each level, as multiples of {@code baseChannels}
 * @param resBlocks residual blocks per level on the way down (one more on the way up)
 * @param attentionResolutions feature-map heights at which self-attention follows each block
 * @param heads attention heads
 * @param dropout dropout rate inside residual blocks while training
 * @param normGroups GroupNorm groups (the largest divisor of each channel count not above it)
 * @param classes K class labels the network is conditioned on (a learned embedding per class plus
 *     one for "no class", added to the timestep embedding), or 0 for an unconditional network
 * @param imageWidth W of the input when it differs from H (a mel-spectrogram's frames), or 0 for a
 *     square input
 * @param guidanceInput whether the network also takes the classifier-free guidance scale w as an input (a learned
 *     embedding of w added to the timestep embedding), as a guided-distillation student does (Meng et al. 2023,
 *     arXiv 2210.03142): one pass at w instead of a conditional and an unconditional one; read as false when a
 *     configuration written before it existed lacks it (never null)
 */
public record UNetConfig(
        int imageSize,
        int channels,
        int baseChannels,
        List<Integer> channelMults,
        int resBlocks,
        List<Integer> attentionResolutions,
        int heads,
        double dropout,
        int normGroups,
        int classes,
        int imageWidth,
        Boolean guidanceInput) {

    public UNetConfig {
        guidanceInput = Boolean.TRUE.equals(guidanceInput); // absent from the configurations of networks that do not take it
        channelMults = List.copyOf(channelMults);
        attentionResolutions = List.copyOf(attentionResolutions);
        if (channels < 1) {
            throw new IllegalArgumentException("model.channels must be at least 1, got " + channels);
        }
        if (baseChannels < 2 || baseChannels % 2 != 0) {
            throw new IllegalArgumentException("model.baseChannels must be an even number ≥ 2, got " + baseChannels);
        }
        if (channelMults.isEmpty() || channelMults.stream().anyMatch(m -> m < 1)) {
            throw new IllegalArgumentException("model.channelMults must be positive, got " + channelMults);
        }
        if (resBlocks < 1) {
            throw new IllegalArgumentException("model.resBlocks must be at least 1, got " + resBlocks);
        }
        int div = 1 << (channelMults.size() - 1);
        if (imageSize < 1 || imageSize % div != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " is not divisible by 2^(levels - 1) = " + div);
        }
        if (imageWidth < 0 || imageWidth % div != 0) {
            throw new IllegalArgumentException("model.imageWidth " + imageWidth + " is not 0 (square) or a positive multiple of 2^(levels - 1) = " + div);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("model.dropout must be in [0, 1), got " + dropout);
        }
        if (heads < 1 || normGroups < 1) {
            throw new IllegalArgumentException("model.heads and model.normGroups must be at least 1");
        }
        if (classes < 0) {
            throw new IllegalArgumentException("model.classes must be ≥ 0 (0: unconditional), got " + classes);
        }
        if (guidanceInput && classes == 0) {
            throw new IllegalArgumentException("model.guidanceInput needs a class-conditional network (model.classes > 0)");
        }
    }

    /** A network that does not take the guidance scale as an input. */
    public UNetConfig(int imageSize, int channels, int baseChannels, List<Integer> channelMults, int resBlocks,
            List<Integer> attentionResolutions, int heads, double dropout, int normGroups, int classes, int imageWidth) {
        this(imageSize, channels, baseChannels, channelMults, resBlocks, attentionResolutions, heads, dropout, normGroups, classes,
                imageWidth, false);
    }

    /** An unconditional network for square images. */
    public UNetConfig(int imageSize, int channels, int baseChannels, List<Integer> channelMults, int resBlocks,
            List<Integer> attentionResolutions, int heads, double dropout, int normGroups) {
        this(imageSize, channels, baseChannels, channelMults, resBlocks, attentionResolutions, heads, dropout, normGroups, 0, 0);
    }

    /** A network for square images. */
    public UNetConfig(int imageSize, int channels, int baseChannels, List<Integer> channelMults, int resBlocks,
            List<Integer> attentionResolutions, int heads, double dropout, int normGroups, int classes) {
        this(imageSize, channels, baseChannels, channelMults, resBlocks, attentionResolutions, heads, dropout, normGroups, classes, 0);
    }

    /** H of the input. */
    public int height() {
        return imageSize;
    }

    /** W of the input. */
    public int width() {
        return imageWidth == 0 ? imageSize : imageWidth;
    }

    /** Whether the network takes class labels. */
    public boolean conditional() {
        return classes > 0;
    }

    /** The label that means "no class": K. */
    public int nullLabel() {
        return classes;
    }

    /** This network with {@code classes} labels (0: unconditional), everything else the same. */
    public UNetConfig withClasses(int classes) {
        return new UNetConfig(imageSize, channels, baseChannels, channelMults, resBlocks, attentionResolutions, heads,
                dropout, normGroups, classes, imageWidth, guidanceInput);
    }

    /** This network at base width {@code baseChannels} (every level's channels scale with it), everything else the same. */
    public UNetConfig withBaseChannels(int baseChannels) {
        return new UNetConfig(imageSize, channels, baseChannels, channelMults, resBlocks, attentionResolutions, heads,
                dropout, normGroups, classes, imageWidth, guidanceInput);
    }

    /** This network taking the guidance scale as an input or not, everything else the same. */
    public UNetConfig withGuidanceInput(boolean on) {
        return new UNetConfig(imageSize, channels, baseChannels, channelMults, resBlocks, attentionResolutions, heads,
                dropout, normGroups, classes, imageWidth, on);
    }

    /** The default digits model: 28x28x1, base 32, levels 1, 2, 2, attention at 7x7. */
    public static UNetConfig mnist() {
        return new UNetConfig(28, 1, 32, List.of(1, 2, 2), 1, List.of(7), 1, 0.1, 8, 0, 0);
    }
}

package dev.diffusion4j.eval;

import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Randomness;

/**
 * The real images a FID compares with: a data set's split in one fixed random order (files sorted by name can be
 * sorted by class), so that {@code eval fid}, {@code eval edit} and the Spark layer's FidJob, each taking the first n,
 * compare with the same images.
 */
public final class ReferenceImages {
    /** Seeds the order of both splits. */
    public static final long SEED = 20200619L;

    private ReferenceImages() {}

    /**
     * Every test image of {@code data}, in the fixed random order: the first n are a FID's reference.
     *
     * @param height for {@code images:} the side the images are cropped and scaled to; other sets keep theirs
     * @param channels for {@code images:} 1 (grayscale) or 3 (RGB)
     * @param audio how {@code wav:} clips become images
     */
    public static ImageDataset test(DataSpec data, int height, int channels, AudioConfig audio) {
        return Datasets.load(data, Datasets.Split.TEST, height, channels, audio).shuffled(Randomness.of(SEED).derive("test images"));
    }

    /** Every training image of {@code data}, in its fixed random order (the real-vs-real floor takes the first n). */
    public static ImageDataset training(DataSpec data, int height, int channels, AudioConfig audio) {
        return Datasets.load(data, Datasets.Split.TRAIN, height, channels, audio).shuffled(Randomness.of(SEED).derive("training images"));
    }
}

package dev.diffusion4j.train;

import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.LossType;
import dev.diffusion4j.diffusion.PredictionType;
import dev.diffusion4j.diffusion.VarianceType;
import dev.diffusion4j.model.UNetConfig;
import java.util.List;
import java.util.SplittableRandom;

/** A tiny model and data set that train in seconds. */
public final class TinyRuns {
    private TinyRuns() {}

    /** 8x8 grayscale blobs: a bright square at a random place on a dark background. */
    public static ImageDataset blobs(int n) {
        SplittableRandom r = new SplittableRandom(42);
        byte[] px = new byte[n * 64];
        for (int i = 0; i < n; i++) {
            int x0 = r.nextInt(5);
            int y0 = r.nextInt(5);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    boolean on = x >= x0 && x < x0 + 3 && y >= y0 && y < y0 + 3;
                    px[i * 64 + y * 8 + x] = (byte) (on ? 230 + r.nextInt(20) : r.nextInt(20));
                }
            }
        }
        return new ImageDataset("blobs", n, 1, 8, 8, px, null);
    }

    /** {@link #blobs} labelled by where the square is: 0 on the left half, 1 on the right. */
    public static ImageDataset labelledBlobs(int n) {
        ImageDataset d = blobs(n);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int brightestColumn = 0;
            for (int x = 0; x < 8; x++) {
                if ((d.pixels()[i * 64 + 4 * 8 + x] & 0xff) > 200 || (d.pixels()[i * 64 + 2 * 8 + x] & 0xff) > 200) {
                    brightestColumn = x;
                }
            }
            labels[i] = brightestColumn >= 4 ? 1 : 0;
        }
        return new ImageDataset("labelled blobs", n, 1, 8, 8, d.pixels(), labels, List.of("left", "right"));
    }

    /** {@link #config} for a class-conditional model of {@link #labelledBlobs}, with the given label dropout. */
    public static TrainConfig conditional(int steps, double labelDropout) {
        TrainConfig c = config(steps, 1e-3, 0.1);
        return new TrainConfig(c.data(), c.model().withClasses(2), c.diffusion(), c.training().withLabelDropout(labelDropout),
                c.output(), c.audio(), List.of("left", "right")).validate();
    }

    /** A tiny configuration: 8x8x1, base 8, two levels, attention at 4x4, T = 100. */
    public static TrainConfig config(int steps, double lr, double dropout) {
        return new TrainConfig(new dev.diffusion4j.data.DataSpec.Embedded(),
                new UNetConfig(8, 1, 8, List.of(1, 2), 1, List.of(4), 1, dropout, 4),
                new TrainConfig.Diffusion("linear", 100, PredictionType.EPSILON, VarianceType.FIXED_LARGE, LossType.SIMPLE),
                new TrainConfig.Training(steps, 8, lr, 2, 0.01, 0.9, 0.999, 1e-8, 1.0, 0.9, true, 7, true),
                new TrainConfig.Output(1, 0, 1000, 10, 4, 5)).validate();
    }
}

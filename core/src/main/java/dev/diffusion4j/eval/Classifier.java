package dev.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.model.Conv2d;
import dev.diffusion4j.model.Linear;
import dev.diffusion4j.model.Module;

/**
 * The feature network for FID-like scores on data without Inception weights: three convolutions
 * (the last two with stride 2), a 128-wide penultimate layer whose activations are the features,
 * and a linear layer to the class logits.
 */
public final class Classifier extends Module {
    /** Width of the feature layer. */
    public static final int FEATURES = 128;

    private final Conv2d c1;
    private final Conv2d c2;
    private final Conv2d c3;
    private final Linear fc;
    private final Linear head;
    private final int classes;

    public Classifier(int channels, int height, int width, int classes) {
        this.classes = classes;
        this.c1 = child("conv1", new Conv2d(channels, 32, 3, 1, false));
        this.c2 = child("conv2", new Conv2d(32, 64, 3, 2, false));
        this.c3 = child("conv3", new Conv2d(64, 64, 3, 2, false));
        this.fc = child("fc", new Linear(64 * ((height + 3) / 4) * ((width + 3) / 4), FEATURES));
        this.head = child("head", new Linear(FEATURES, classes));
    }

    /** The number of classes. */
    public int classes() {
        return classes;
    }

    /** The penultimate features, (N, 128). */
    public NDArray features(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = Ops.silu(c1.forward(ps, x, training));
        h = Ops.silu(c2.forward(ps, h, training));
        h = Ops.silu(c3.forward(ps, h, training));
        return fc.forward(ps, h.reshape(h.getShape().get(0), -1), training);
    }

    /** Class logits from features. */
    public NDArray logits(ParameterStore ps, NDArray features, boolean training) {
        return head.forward(ps, Ops.silu(features), training);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return logits(ps, features(ps, inputs.singletonOrThrow(), training), training);
    }
}

package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * A learned vector per class label, K + 1 rows: labels 0..K-1 are the classes and K is "no class",
 * the token that classifier-free guidance (Ho and Salimans, 2022) trains by dropping labels and
 * samples with for the unconditional half.
 */
public final class ClassEmbedding extends Module {
    private final Parameter weight;
    private final int rows;

    /** @param classes K */
    public ClassEmbedding(int classes, int dim) {
        this.rows = classes + 1;
        this.weight = param("weight", new Shape(rows, dim), new Init.Normal(1.0));
    }

    /** Labels (N) in 0..K to (N, dim): a one-hot product, so the gradient reaches exactly the rows used. */
    public NDArray forward(ParameterStore ps, NDArray labels, boolean training) {
        NDArray w = value(ps, weight, labels, training);
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot(rows).toType(w.getDataType(), false);
        FlopCounter.add(2 * labels.getShape().get(0) * w.getShape().size());
        return oneHot.matMul(w);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

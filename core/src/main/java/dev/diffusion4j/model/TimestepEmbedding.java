package dev.diffusion4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.engine.Ops;

/**
 * The sinusoidal embedding of the timestep (as in the Transformer and DDPM), followed by an MLP:
 * [sin(t ω_i), cos(t ω_i)], ω_i = 10000^(-i/(d/2-1)), then Linear, SiLU, Linear.
 */
public final class TimestepEmbedding extends Module {
    private final int dim;
    private final Linear fc1;
    private final Linear fc2;

    public TimestepEmbedding(int dim, int outDim) {
        this(dim, outDim, false);
    }

    /**
     * @param zeroOutput whether the last layer starts at zero, so that the embedding adds nothing until trained (the
     *     guidance scale's embedding, which a student gains on top of its teacher's weights)
     */
    public TimestepEmbedding(int dim, int outDim, boolean zeroOutput) {
        if (dim % 2 != 0 || dim < 4) {
            throw new IllegalArgumentException("the sinusoidal embedding needs an even dimension ≥ 4, got " + dim);
        }
        this.dim = dim;
        this.fc1 = child("fc1", new Linear(dim, outDim));
        this.fc2 = child("fc2", zeroOutput ? new Linear(outDim, outDim, new Init.Zeros()) : new Linear(outDim, outDim));
    }

    /** The sinusoidal features of timesteps t (N), as (N, dim). */
    public NDArray sinusoidal(NDArray t) {
        int half = dim / 2;
        double[] freqs = new double[half];
        for (int i = 0; i < half; i++) {
            freqs[i] = Math.exp(-Math.log(10000) * i / (half - 1));
        }
        NDArray f = Ops.constant(t.getManager(), freqs, new Shape(1, half));
        NDArray args = t.toType(DataType.FLOAT32, false).reshape(-1, 1).mul(f);
        return args.sin().concat(args.cos(), 1);
    }

    /** (N) timesteps to (N, outDim), in the parameters' data type. */
    public NDArray forward(ParameterStore ps, NDArray t, boolean training) {
        NDArray features = sinusoidal(t);
        DataType type = fc1.dataType();
        if (features.getDataType() != type) {
            features = features.toType(type, false);
        }
        return fc2.forward(ps, Ops.silu(fc1.forward(ps, features, training)), training);
    }

    @Override
    protected NDArray forwardList(ParameterStore ps, NDList inputs, boolean training) {
        return forward(ps, inputs.singletonOrThrow(), training);
    }
}

package dev.diffusion4j.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/** Parameter initialisers, drawn from the engine's seeded generator. */
public final class Initializers {
    private Initializers() {}

    /** U(-1/√fan_in, 1/√fan_in): PyTorch's default for convolutions and linear layers. */
    public static Initializer fanInUniform(long fanIn) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        return (NDManager m, Shape shape, DataType dt) -> m.randomUniform(-bound, bound, shape, dt);
    }

    /** All zeros (improved-diffusion's zero_module for layers that end a residual branch). */
    public static Initializer zeros() {
        return (NDManager m, Shape shape, DataType dt) -> m.zeros(shape, dt);
    }

    /** All ones. */
    public static Initializer ones() {
        return (NDManager m, Shape shape, DataType dt) -> m.ones(shape, dt);
    }
}

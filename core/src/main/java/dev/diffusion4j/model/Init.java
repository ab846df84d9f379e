package dev.diffusion4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/** How a parameter starts; random starts draw from a stream passed in ({@link Module#initializeParameters}). */
public sealed interface Init {
    /** The n starting values, drawn from {@code rng} where they are random. */
    float[] values(int n, SplittableRandom rng);

    /** All zeros (improved-diffusion's zero_module for layers that end a residual branch). */
    record Zeros() implements Init {
        @Override
        public float[] values(int n, SplittableRandom rng) {
            return new float[n];
        }
    }

    /** All ones. */
    record Ones() implements Init {
        @Override
        public float[] values(int n, SplittableRandom rng) {
            float[] v = new float[n];
            Arrays.fill(v, 1f);
            return v;
        }
    }

    /** U(-1/√fan_in, 1/√fan_in): PyTorch's default for convolutions and linear layers. */
    record FanInUniform(long fanIn) implements Init {
        @Override
        public float[] values(int n, SplittableRandom rng) {
            double bound = 1 / Math.sqrt(fanIn);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (bound * (2 * rng.nextDouble() - 1));
            }
            return v;
        }
    }

    /** N(0, σ²) (PyTorch's default for embeddings with σ = 1). */
    record Normal(double sd) implements Init {
        @Override
        public float[] values(int n, SplittableRandom rng) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (sd * rng.nextGaussian());
            }
            return v;
        }
    }
}

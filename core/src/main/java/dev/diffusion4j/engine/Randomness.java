package dev.diffusion4j.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * A seed and the generators derived from it, passed to whatever draws random numbers (as diffusers
 * passes a {@code torch.Generator}): every draw of the project comes from one of these, so the same
 * seed gives the same numbers whatever else ran before, in this process or another.
 *
 * <p>Streams are derived, never shared: {@link #derive(String)} gives an independent stream per
 * purpose ("noise", "timesteps", …) and {@link #step(long)} one per step or per item, both by
 * SplitMix64 finalisation of the seed and the key. {@link #normal} draws in Java from a {@link
 * SplittableRandom}, so no hidden state changes; {@link #normalPerItem} gives item j of a batch the
 * stream {@code step(first + j)}, so a sample does not depend on the batch it was drawn in.
 *
 * <p>The one door to libtorch's own generator is {@link #seedEngine()}: draws made inside libtorch
 * (dropout masks, see {@link TorchKernels#dropout}) follow the last seed set there, so a caller
 * seeds it from a derived stream right before such draws.
 *
 * @param seed the 64-bit seed
 */
public record Randomness(long seed) {
    /** The generators of {@code seed}. */
    public static Randomness of(long seed) {
        return new Randomness(seed);
    }

    /** An independent generator for one purpose, named (the name is part of the key). */
    public Randomness derive(String purpose) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the UTF-8 bytes
        for (byte b : purpose.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return new Randomness(mix(seed, h));
    }

    /** An independent generator for step (or item) {@code k}. */
    public Randomness step(long k) {
        return new Randomness(mix(seed ^ 0x5DEECE66DL, k));
    }

    /** A fresh Java generator on this seed: the same numbers every time it is asked for. */
    public SplittableRandom stream() {
        return new SplittableRandom(seed);
    }

    /** A permutation of 0..n-1 drawn from {@link #stream()} (Fisher-Yates, from the top). */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = stream();
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    /** Standard normal float32 values of {@code shape}, drawn in order from {@link #stream()}. */
    public NDArray normal(NDManager m, Shape shape) {
        float[] v = new float[Math.toIntExact(shape.size())];
        fillNormal(stream(), v, 0, v.length);
        return Ops.constant(m, v, shape);
    }

    /**
     * Standard normal values of {@code shape} (B, …) where item j along the first axis is drawn from
     * {@code step(first + j)}: the same item index gives the same values in any batch.
     */
    public NDArray normalPerItem(NDManager m, Shape shape, long first) {
        int items = Math.toIntExact(shape.get(0));
        int per = Math.toIntExact(shape.size() / Math.max(1, items));
        float[] v = new float[items * per];
        for (int j = 0; j < items; j++) {
            fillNormal(step(first + j).stream(), v, j * per, per);
        }
        return Ops.constant(m, v, shape);
    }

    private static void fillNormal(SplittableRandom r, float[] v, int from, int n) {
        for (int i = from; i < from + n; i++) {
            v[i] = (float) r.nextGaussian();
        }
    }

    /** Seeds libtorch's generator for the draws libtorch makes itself (dropout masks) that come next. */
    public void seedEngine() {
        Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)) & 0x7fffffff);
    }

    /** SplitMix64's finaliser over a combination of the two keys. */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

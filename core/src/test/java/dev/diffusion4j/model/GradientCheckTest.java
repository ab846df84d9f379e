package dev.diffusion4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Gradients of every block, twice over: (1) the float32 autograd gradient (the oneDNN path that
 * training uses) against the float64 autograd gradient of the same block and weights, for the input
 * and every parameter; (2) the float64 autograd gradient against central finite differences on
 * sampled coordinates. Channel counts include 1, 3 and 8.
 */
class GradientCheckTest {
    /** A block, its inputs (the first few float inputs get gradients), and how to call it. */
    record Case(String name, Supplier<Module> block, List<Shape> floatInputs, long[] timesteps) {}

    private static Result run(Case c, DataType type, NDManager m, List<float[]> inputs, Map<String, float[]> weights,
            float[] probe, int[] fdCoords, double fdStep) {
        Module block = c.block().get();
        block.initialize(m, type, new Shape(1));
        Map<String, Parameter> params = block.namedParameters();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray w = m.create(weights.get(e.getKey()), e.getValue().getShape()).toType(type, false);
            NDArray a = e.getValue().getArray();
            a.subi(a).addi(w);
        }
        ParameterStore ps = new ParameterStore(m, false);
        List<NDArray> xs = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            NDArray x = m.create(inputs.get(i), c.floatInputs().get(i)).toType(type, false);
            x.setRequiresGradient(true);
            xs.add(x);
        }
        NDList in = new NDList(xs);
        if (c.timesteps() != null) {
            in.add(m.create(c.timesteps()));
        }
        NDArray outShapeProbe;
        double loss;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = block.forward(ps, in, true).singletonOrThrow();
            outShapeProbe = out;
            NDArray r = probe == null ? out.onesLike() : m.create(probe, out.getShape()).toType(type, false);
            NDArray l = out.mul(r).sum();
            loss = l.toType(DataType.FLOAT64, false).getDouble();
            gc.backward(l);
        }
        Result res = new Result();
        res.outShape = outShapeProbe.getShape();
        for (int i = 0; i < xs.size(); i++) {
            res.grads.put("input" + i, toDoubles(xs.get(i).getGradient()));
        }
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            res.grads.put(e.getKey(), toDoubles(e.getValue().getArray().getGradient()));
        }
        res.loss = loss;
        if (fdCoords != null) {
            // central differences on input 0 and on each parameter, in this precision
            for (int k : xs.isEmpty() ? new int[0] : fdCoords) {
                res.fd.put("input0[" + k + "]", fd(block, ps, in, xs.get(0), k, fdStep, probe, m, type));
            }
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray a = e.getValue().getArray();
                int k = (int) ((a.size() * 7919L + 13) % a.size());
                res.fd.put(e.getKey() + "[" + k + "]", fd(block, ps, in, a, k, fdStep, probe, m, type));
            }
        }
        return res;
    }

    private static double fd(Module block, ParameterStore ps, NDList in, NDArray target, int k, double h, float[] probe,
            NDManager m, DataType type) {
        double[] values = new double[2];
        for (int s = 0; s < 2; s++) {
            double delta = s == 0 ? h : -h;
            NDArray bump = m.zeros(target.getShape(), type).reshape(-1);
            bump.set(new ai.djl.ndarray.index.NDIndex(k), delta);
            bump = bump.reshape(target.getShape());
            target.addi(bump);
            NDArray out = block.forward(ps, in, true).singletonOrThrow();
            values[s] = out.mul(m.create(probe, out.getShape()).toType(type, false)).sum().toType(DataType.FLOAT64, false).getDouble();
            target.subi(bump);
        }
        return (values[0] - values[1]) / (2 * h);
    }

    private static double[] toDoubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    static final class Result {
        final Map<String, double[]> grads = new java.util.LinkedHashMap<>();
        final Map<String, Double> fd = new java.util.LinkedHashMap<>();
        Shape outShape;
        double loss;
    }

    private static void check(Case c) {
        try (NDManager m = Tensors.manager(5)) {
            SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
            List<float[]> inputs = new ArrayList<>();
            for (Shape s : c.floatInputs()) {
                inputs.add(gaussian(rnd, (int) s.size(), 1.0));
            }
            // random weights (zero-initialised layers would hide the gradients behind them)
            Module shapeOnly = c.block().get();
            Map<String, float[]> weights = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : shapeOnly.namedParameters().entrySet()) {
                Shape s = e.getValue().getShape();
                long fanIn = s.dimension() > 1 ? s.size() / s.get(0) : 4;
                weights.put(e.getKey(), gaussian(rnd, (int) s.size(), 1 / Math.sqrt(fanIn)));
            }
            Shape outShape;
            try (NDManager probeManager = m.newSubManager()) {
                outShape = run(c, DataType.FLOAT32, probeManager, inputs, weights, null, null, 0).outShape;
            }
            float[] probe = gaussian(rnd, (int) outShape.size(), 1.0);
            Result f32;
            Result f64;
            try (NDManager a = m.newSubManager()) {
                f32 = run(c, DataType.FLOAT32, a, inputs, weights, probe, null, 0);
            }
            int n0 = c.floatInputs().isEmpty() ? 1 : (int) c.floatInputs().get(0).size();
            int[] coords = {0, n0 / 3, n0 / 2, n0 - 1};
            try (NDManager b = m.newSubManager()) {
                f64 = run(c, DataType.FLOAT64, b, inputs, weights, probe, coords, 1e-6);
            }
            double global = 0;
            for (double[] g : f64.grads.values()) {
                for (double v : g) {
                    global = Math.max(global, Math.abs(v));
                }
            }
            for (String key : f64.grads.keySet()) {
                double[] g32 = f32.grads.get(key);
                double[] g64 = f64.grads.get(key);
                // a gradient that is zero in exact arithmetic (a bias right before a normalisation) is float32 noise:
                // measure it against a hundredth of the block's largest gradient
                double scale = 1e-2 * global;
                for (double v : g64) {
                    scale = Math.max(scale, Math.abs(v));
                }
                double worst = 0;
                for (int i = 0; i < g64.length; i++) {
                    double e = Math.abs(g32[i] - g64[i]) / scale;
                    worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(worst, e);
                }
                assertThat(worst).as("%s: float32 vs float64 gradient of %s", c.name(), key).isLessThan(2e-3);
            }
            for (Map.Entry<String, Double> e : f64.fd.entrySet()) {
                String key = e.getKey();
                String name = key.substring(0, key.indexOf('['));
                int idx = Integer.parseInt(key.substring(key.indexOf('[') + 1, key.length() - 1));
                double auto = f64.grads.get(name)[idx];
                assertThat(auto).as("%s: autograd vs finite difference at %s", c.name(), key)
                        .isCloseTo(e.getValue(), org.assertj.core.api.Assertions.within(1e-5 * (1 + Math.abs(auto))));
            }
        }
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double sd) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            double u = rnd.nextDouble();
            double v = rnd.nextDouble();
            f[i] = (float) (sd * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
        }
        return f;
    }

    @Test
    void conv2d() {
        for (int[] io : new int[][] {{1, 8}, {8, 1}, {3, 3}, {8, 8}}) {
            check(new Case("conv3x3 " + io[0] + "->" + io[1], () -> new Conv2d(io[0], io[1], 3, 1, false),
                    List.of(new Shape(2, io[0], 6, 6)), null));
        }
        check(new Case("conv1x1 3->8", () -> new Conv2d(3, 8, 1, 1, false), List.of(new Shape(2, 3, 5, 5)), null));
        check(new Case("conv stride 2 8->3", () -> new Conv2d(8, 3, 3, 2, false), List.of(new Shape(2, 8, 6, 6)), null));
    }

    @Test
    void linearAndTimestepEmbedding() {
        check(new Case("linear 3->8", () -> new Linear(3, 8), List.of(new Shape(4, 3)), null));
        check(new Case("linear 8->1", () -> new Linear(8, 1), List.of(new Shape(4, 8)), null));
        // the embedding's input is integer timesteps: its two linear layers and the SiLU between them are what is checked
        check(new Case("timestep embedding 8->16", () -> new TimestepEmbedding(8, 16), List.of(), new long[] {1, 37, 999}));
    }

    @Test
    void classEmbedding() {
        check(new Case("class embedding 3 classes", () -> new ClassEmbedding(3, 6), List.of(), new long[] {0, 2, 3, 2}));
    }

    @Test
    void groupNorm() {
        check(new Case("groupnorm 1 group of 1", () -> new GroupNorm(1, 1), List.of(new Shape(2, 1, 5, 5)), null));
        check(new Case("groupnorm 1 group of 3", () -> new GroupNorm(1, 3), List.of(new Shape(2, 3, 4, 4)), null));
        check(new Case("groupnorm 4 groups of 8", () -> new GroupNorm(4, 8), List.of(new Shape(2, 8, 4, 4)), null));
        check(new Case("groupnorm 8 groups of 8", () -> new GroupNorm(8, 8), List.of(new Shape(2, 8, 3, 3)), null));
    }

    @Test
    void attention() {
        check(new Case("attention 8 ch 1 head", () -> new Attention(8, 1, 4), List.of(new Shape(2, 8, 4, 4)), null));
        check(new Case("attention 8 ch 2 heads", () -> new Attention(8, 2, 8), List.of(new Shape(2, 8, 3, 3)), null));
        check(new Case("attention 3 ch", () -> new Attention(3, 1, 3), List.of(new Shape(2, 3, 4, 4)), null));
    }

    @Test
    void resBlock() {
        for (int[] io : new int[][] {{1, 8}, {3, 3}, {8, 3}}) {
            check(new Case("resblock " + io[0] + "->" + io[1], () -> new ResBlock(io[0], io[1], 16, 0.0, 4),
                    List.of(new Shape(2, io[0], 6, 6), new Shape(2, 16)), null));
        }
    }

    @Test
    void resampling() {
        check(new Case("downsample 3", () -> new Downsample(3), List.of(new Shape(2, 3, 6, 6)), null));
        check(new Case("upsample 8", () -> new Upsample(8), List.of(new Shape(2, 8, 3, 3)), null));
        check(new Case("upsample 1", () -> new Upsample(1), List.of(new Shape(2, 1, 4, 4)), null));
    }

    @Test
    void wholeUNet() {
        for (int ch : new int[] {1, 3}) {
            UNetConfig cfg = new UNetConfig(8, ch, 8, List.of(1, 2), 1, List.of(4), 2, 0.0, 4);
            check(new Case("unet " + ch + " channels", () -> new UNet(cfg), List.of(new Shape(2, ch, 8, 8)), new long[] {3, 700}));
        }
    }

    @Test
    void timestepEmbeddingIsSinusoidal() {
        try (NDManager m = Tensors.manager(1)) {
            TimestepEmbedding te = new TimestepEmbedding(8, 16);
            double[] f = toDoubles(te.sinusoidal(m.create(new long[] {0, 5})));
            assertThat(f).hasSize(16);
            for (int i = 0; i < 4; i++) {
                double w = Math.exp(-Math.log(10000) * i / 3);
                assertThat(f[8 + i]).isCloseTo(Math.sin(5 * w), org.assertj.core.api.Assertions.within(1e-5));
                assertThat(f[8 + 4 + i]).isCloseTo(Math.cos(5 * w), org.assertj.core.api.Assertions.within(1e-5));
            }
        }
    }
}

package dev.diffusion4j.model;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.diffusion4j.io.SafeTensors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Networks for tests. */
public final class TestNets {
    private TestNets() {}

    /**
     * Every parameter of a network of this shape drawn from N(0, sd²), including the layers that
     * start at zero in training (which would otherwise hide everything behind them).
     */
    public static Map<String, SafeTensors.Tensor> randomWeights(UNetConfig c, long seed, double sd) {
        Map<String, SafeTensors.Tensor> weights = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, Parameter> e : new UNet(c).namedParameters().entrySet()) {
            float[] v = new float[(int) e.getValue().getShape().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (sd * r.nextGaussian());
            }
            weights.put(e.getKey(), new SafeTensors.Tensor(e.getValue().getShape().getShape(), v));
        }
        return weights;
    }

    /** A network of this shape with {@link #randomWeights}. */
    public static UNet random(UNetConfig c, long seed, NDManager m) {
        UNet net = new UNet(c);
        Weights.initialize(net, m, randomWeights(c, seed, 0.3), "random weights");
        return net;
    }
}

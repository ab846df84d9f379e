package dev.diffusion4j.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.Weights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter, 2019) whose whole state is named arrays, so that it can be saved
 * and restored exactly: the first and second moments of every parameter and the step count.
 *
 * <p>Per parameter: m ← β1 m + (1 - β1) g; v ← β2 v + (1 - β2) g²; w ← w (1 - lr λ) - lr m̂ / (√v̂ +
 * ε) with m̂ = m / (1 - β1^k), v̂ = v / (1 - β2^k).
 */
public final class AdamW implements AutoCloseable {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
    }

    /** Updates every parameter in place with its gradient; the temporaries live in {@code step}'s manager. */
    public void update(Map<String, Parameter> params, Map<String, NDArray> grads, double lr, NDManager scope) {
        step++;
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        // every scalar and temporary lives in the step's scope: an operation whose first operand is a
        // parameter or a moment would otherwise put its result in that long-lived manager (docs/ENGINE.md, "Ownership")
        NDArray b1 = Ops.scalar(scope, beta1);
        NDArray b2 = Ops.scalar(scope, beta2);
        NDArray oneMinusB1 = Ops.scalar(scope, 1 - beta1);
        NDArray oneMinusB2 = Ops.scalar(scope, 1 - beta2);
        NDArray invC2 = Ops.scalar(scope, 1 / c2);
        NDArray stepSize = Ops.scalar(scope, lr / c1);
        NDArray epsilon = Ops.scalar(scope, eps);
        NDArray decay = Ops.scalar(scope, 1 - lr * weightDecay);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String name = e.getKey();
            NDArray w = e.getValue().getArray();
            NDArray g = grads.get(name);
            NDArray mi = m.computeIfAbsent(name, k -> manager.zeros(w.getShape(), w.getDataType()));
            NDArray vi = v.computeIfAbsent(name, k -> manager.zeros(w.getShape(), w.getDataType()));
            mi.muli(b1).addi(g.mul(oneMinusB1));
            vi.muli(b2).addi(g.square().mul(oneMinusB2));
            NDArray denom = scoped(vi.mul(invC2), scope).sqrt().add(epsilon);
            NDArray update = scoped(mi.mul(stepSize), scope).div(denom);
            if (weightDecay > 0) {
                w.muli(decay);
            }
            w.subi(update);
        }
    }

    private static NDArray scoped(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    /** The number of updates made. */
    public long step() {
        return step;
    }

    /** The state as named tensors: {@code exp_avg.NAME}, {@code exp_avg_sq.NAME}. */
    public Map<String, SafeTensors.Tensor> state() {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        m.forEach((k, a) -> out.put("exp_avg." + k, Weights.tensor(a)));
        v.forEach((k, a) -> out.put("exp_avg_sq." + k, Weights.tensor(a)));
        return out;
    }

    /**
     * Restores the state saved by {@link #state()}.
     *
     * @throws IllegalArgumentException when a parameter's moments are missing or of the wrong shape
     */
    public void load(Map<String, Parameter> params, Map<String, SafeTensors.Tensor> state, long steps, String source) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            for (String kind : new String[] {"exp_avg.", "exp_avg_sq."}) {
                SafeTensors.Tensor t = state.get(kind + e.getKey());
                if (t == null) {
                    throw new IllegalArgumentException(source + ": no optimizer state '" + kind + e.getKey() + "'");
                }
                Weights.requireShape(source, kind + e.getKey(), t, e.getValue().getShape());
                NDArray a = Weights.array(manager, t);
                (kind.equals("exp_avg.") ? m : v).put(e.getKey(), a);
            }
        }
        if (state.size() != 2 * params.size()) {
            throw new IllegalArgumentException(source + ": " + state.size() + " optimizer tensors for " + params.size() + " parameters");
        }
        this.step = steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}

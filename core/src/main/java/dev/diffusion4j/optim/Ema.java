package dev.diffusion4j.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.diffusion4j.engine.Ops;
import java.util.Map;

/**
 * The exponential moving average of the weights, kept in a second copy of the model: ema ← d · ema
 * + (1 - d) · w, with d = min(decay, (1 + k)/(10 + k)) at update k when warm-up is on.
 */
public final class Ema {
    private final double decay;
    private final boolean warmup;

    public Ema(double decay, boolean warmup) {
        this.decay = decay;
        this.warmup = warmup;
    }

    /** The decay used at update {@code k} (1-based). */
    public double decayAt(long k) {
        return warmup ? Math.min(decay, (1.0 + k) / (10.0 + k)) : decay;
    }

    /** Moves every EMA parameter toward the model's, in place. */
    public void update(Map<String, Parameter> model, Map<String, Parameter> ema, long k, NDManager scope) {
        double d = decayAt(k);
        NDArray keep = Ops.scalar(scope, d);
        NDArray take = Ops.scalar(scope, 1 - d);
        for (Map.Entry<String, Parameter> e : model.entrySet()) {
            NDArray w = e.getValue().getArray();
            NDArray s = ema.get(e.getKey()).getArray();
            NDArray step = w.mul(take); // lands in the parameter's manager: move it to the step's
            step.attach(scope);
            s.muli(keep).addi(step);
        }
    }
}

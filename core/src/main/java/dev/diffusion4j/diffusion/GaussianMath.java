package dev.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import dev.diffusion4j.engine.Ops;

/** The small closed forms the bound is made of: Gaussian KL (18), the normal CDF, the discrete decoder. */
public final class GaussianMath {
    /** Below this, probabilities are clamped before the logarithm. */
    static final double MIN_PROB = 1e-12;

    private GaussianMath() {}

    /**
     * D_KL(N(μ_1, σ_1²) || N(μ_2, σ_2²)) of (18), element-wise, in nats, from log-variances:
     * ½ (log σ_2² - log σ_1² + (σ_1² + (μ_1 - μ_2)²) / σ_2² - 1).
     */
    public static NDArray normalKl(NDArray mean1, NDArray logVar1, NDArray mean2, NDArray logVar2) {
        NDArray diff = mean1.sub(mean2);
        NDArray invVar2 = logVar2.neg().exp();
        NDArray inner = logVar2.sub(logVar1).add(logVar1.exp().mul(invVar2)).add(diff.square().mul(invVar2));
        return Ops.mul(Ops.sub(inner, 1), 0.5);
    }

    /** Φ(z) = ½ (1 + erf(z / √2)), the standard normal CDF, element-wise. */
    public static NDArray standardNormalCdf(NDArray z) {
        return Ops.mul(Ops.add(Ops.mul(z, 1 / Math.sqrt(2)).erf(), 1), 0.5);
    }

    /**
     * log of the mass that N(mean, exp(logScale)²) gives to the pixel bin of each x, the decoder of
     * L_0 in (17). Data are 256 levels mapped to [-1, 1], so each bin is x ± 1/255; the two edge
     * bins are open (-∞, -1 + 1/255] and [1 - 1/255, ∞), so the 256 masses sum to 1. Differences of
     * CDFs are taken on the side of the mean where they do not cancel.
     *
     * @param x data in [-1, 1] on the 256-level grid
     * @return log-likelihood in nats, element-wise
     */
    public static NDArray discretizedGaussianLogLikelihood(NDArray x, NDArray mean, NDArray logScale) {
        NDArray centered = x.sub(mean);
        NDArray invStd = logScale.neg().exp();
        NDArray plusIn = invStd.mul(Ops.add(centered, 1.0 / 255));
        NDArray minIn = invStd.mul(Ops.sub(centered, 1.0 / 255));
        NDArray cdfPlus = standardNormalCdf(plusIn);
        NDArray sfMin = standardNormalCdf(minIn.neg());
        NDArray logCdfPlus = Ops.maximum(cdfPlus, MIN_PROB).log();
        NDArray logSfMin = Ops.maximum(sfMin, MIN_PROB).log();
        NDArray deltaRight = sfMin.sub(standardNormalCdf(plusIn.neg()));
        NDArray deltaLeft = cdfPlus.sub(standardNormalCdf(minIn));
        NDArray delta = NDArrays.where(minIn.gt(0), deltaRight, deltaLeft);
        NDArray logDelta = Ops.maximum(delta, MIN_PROB).log();
        return NDArrays.where(x.lt(-0.999), logCdfPlus, NDArrays.where(x.gt(0.999), logSfMin, logDelta));
    }

    /** The mean over every axis but the first (batch) one. */
    public static NDArray meanFlat(NDArray x) {
        int nd = x.getShape().dimension();
        if (nd <= 1) {
            return x;
        }
        return x.reshape(x.getShape().get(0), -1).mean(new int[] {1});
    }
}

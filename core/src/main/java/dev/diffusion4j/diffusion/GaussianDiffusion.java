package dev.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.schedule.NoiseSchedule;
import java.util.Objects;
import java.util.function.IntToDoubleFunction;

/**
 * The equations of DDPM on tensors, one method per distribution or identity, named after it.
 *
 * <p>Timesteps follow the derivation (docs/ddpm-derivation.md): {@code t} is an integer tensor of shape (B) with values in 1..T, one
 * per batch item. The per-timestep coefficients come from the double-precision {@link
 * NoiseSchedule} and are rounded to float32 only when they meet a tensor. Every result lives in the
 * manager of the tensor arguments, so a caller scopes a step with a sub-manager.
 *
 * @param schedule the β tables
 * @param prediction what the network outputs
 * @param variance the fixed reverse variance σ_t²
 * @param loss the training objective
 * @param minSnrGamma γ of {@link LossType#MIN_SNR} (unused by the other losses)
 */
public record GaussianDiffusion(
        NoiseSchedule schedule, PredictionType prediction, VarianceType variance, LossType loss, double minSnrGamma) {

    /** γ = 5, Hang et al.'s choice. */
    public static final double DEFAULT_MIN_SNR_GAMMA = 5.0;

    private static final double LN2 = Math.log(2);

    public GaussianDiffusion {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(prediction, "prediction");
        Objects.requireNonNull(variance, "variance");
        Objects.requireNonNull(loss, "loss");
        if (!(minSnrGamma > 0) || !Double.isFinite(minSnrGamma)) {
            throw new IllegalArgumentException("diffusion.minSnrGamma must be positive, got " + minSnrGamma);
        }
    }

    /** A diffusion with the default γ for min-SNR weighting. */
    public GaussianDiffusion(NoiseSchedule schedule, PredictionType prediction, VarianceType variance, LossType loss) {
        this(schedule, prediction, variance, loss, DEFAULT_MIN_SNR_GAMMA);
    }

    /** ε-prediction, σ_t² = β_t, L_simple: the paper's configuration. */
    public static GaussianDiffusion paperDefaults(NoiseSchedule schedule) {
        return new GaussianDiffusion(schedule, PredictionType.EPSILON, VarianceType.FIXED_LARGE, LossType.SIMPLE);
    }

    // ---------------------------------------------------------------- forward process

    /** One forward step (2): x_t = √(1 - β_t) x_{t-1} + √β_t ε. */
    public NDArray qStep(NDArray xPrev, NDArray t, NDArray noise) {
        return extract(s -> Math.sqrt(schedule.alpha(s)), t, xPrev)
                .mul(xPrev)
                .add(extract(s -> Math.sqrt(schedule.beta(s)), t, xPrev).mul(noise));
    }

    /**
     * A draw from q(x_t | x_s) for s &lt; t, the forward process (2) run from s to t in one go:
     * x_t = √(ᾱ_t/ᾱ_s) x_s + √(1 - ᾱ_t/ᾱ_s) ε (by (3) the product of α_{s+1} … α_t is ᾱ_t/ᾱ_s; s = 0 is (4) itself, and
     * t = s + 1 is (2)). Inpainting's resampling (RePaint) and the jumps back of a respaced chain use it.
     *
     * @param s the timestep x_s is at, 0 ≤ s &lt; t
     * @param t the timestep to noise to, ≤ T
     */
    public NDArray qSampleFrom(NDArray xs, int s, int t, NDArray noise) {
        if (s < 0 || t <= s || t > schedule.steps()) {
            throw new IllegalArgumentException("q(x_t | x_s) needs 0 ≤ s < t ≤ " + schedule.steps() + ", got s = " + s + ", t = " + t);
        }
        double ratio = schedule.alphaBar(t) / schedule.alphaBar(s);
        return Ops.mul(xs, Math.sqrt(ratio)).add(Ops.mul(noise, Math.sqrt(1 - ratio)));
    }

    /** q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I), the closed form (4). */
    public Gaussian qMeanVariance(NDArray x0, NDArray t) {
        NDArray mean = extract(schedule::sqrtAlphaBar, t, x0).mul(x0);
        NDArray var = extract(schedule::oneMinusAlphaBar, t, x0);
        NDArray logVar = extract(s -> Math.log(schedule.oneMinusAlphaBar(s)), t, x0);
        return new Gaussian(mean, var, logVar);
    }

    /** A draw from (4) with the given noise: x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε. */
    public NDArray qSample(NDArray x0, NDArray t, NDArray noise) {
        return extract(schedule::sqrtAlphaBar, t, x0)
                .mul(x0)
                .add(extract(schedule::sqrtOneMinusAlphaBar, t, x0).mul(noise));
    }

    // ---------------------------------------------------------------- reparameterisations

    /**
     * x_0 from ε (12): x_0 = (x_t - √(1 - ᾱ_t) ε) / √ᾱ_t, computed in double precision and rounded once to x_t's type.
     * Near t = T the numerator cancels to √ᾱ_t x_0 (ᾱ_T ≈ 2.4·10⁻⁹ on the cosine schedule) and 1/√ᾱ_t is about 2·10⁴,
     * so in float32 either form, this one or √(1/ᾱ_t) x_t - √(1/ᾱ_t - 1) ε with its two coefficients rounded apart,
     * turns the rounding of x_t into an error of 10⁻³ in x_0 (PosteriorTest shows both).
     */
    public NDArray predictX0FromEps(NDArray xt, NDArray t, NDArray eps) {
        NDManager scope = t.getManager();
        NDArray x0 = Ops.toDouble(xt, scope)
                .sub(extract64(schedule::sqrtOneMinusAlphaBar, t, xt).mul(Ops.toDouble(eps, scope)))
                .mul(extract64(schedule::sqrtRecipAlphaBar, t, xt));
        return x0.toType(xt.getDataType(), false);
    }

    /** ε from x_0, inverting (4): ε = (√(1/ᾱ_t) x_t - x_0) / √(1/ᾱ_t - 1). */
    public NDArray predictEpsFromX0(NDArray xt, NDArray t, NDArray x0) {
        return extract(schedule::sqrtRecipAlphaBar, t, xt)
                .mul(xt)
                .sub(x0)
                .div(extract(schedule::sqrtRecipM1AlphaBar, t, xt));
    }

    /** The v-prediction target v = √ᾱ_t ε - √(1 - ᾱ_t) x_0. */
    public NDArray vTarget(NDArray x0, NDArray t, NDArray eps) {
        return extract(schedule::sqrtAlphaBar, t, x0)
                .mul(eps)
                .sub(extract(schedule::sqrtOneMinusAlphaBar, t, x0).mul(x0));
    }

    /** x_0 from v: x_0 = √ᾱ_t x_t - √(1 - ᾱ_t) v. */
    public NDArray predictX0FromV(NDArray xt, NDArray t, NDArray v) {
        return extract(schedule::sqrtAlphaBar, t, xt)
                .mul(xt)
                .sub(extract(schedule::sqrtOneMinusAlphaBar, t, xt).mul(v));
    }

    /** ε from v: ε = √(1 - ᾱ_t) x_t + √ᾱ_t v. */
    public NDArray predictEpsFromV(NDArray xt, NDArray t, NDArray v) {
        return extract(schedule::sqrtOneMinusAlphaBar, t, xt)
                .mul(xt)
                .add(extract(schedule::sqrtAlphaBar, t, xt).mul(v));
    }

    // ---------------------------------------------------------------- posterior and reverse process

    /**
     * The forward-process posterior q(x_{t-1} | x_t, x_0) = N(μ̃_t, β̃_t I) of (11)(19): μ̃_t =
     * √ᾱ_{t-1} β_t/(1 - ᾱ_t) x_0 + √α_t (1 - ᾱ_{t-1})/(1 - ᾱ_t) x_t. The log-variance is the clipped
     * one ({@link NoiseSchedule#posteriorLogVarianceClipped(int)}); the variance is exact (0 at t = 1).
     */
    public Gaussian qPosteriorMeanVariance(NDArray x0, NDArray xt, NDArray t) {
        NDArray mean = extract(schedule::posteriorMeanCoef1, t, xt)
                .mul(x0)
                .add(extract(schedule::posteriorMeanCoef2, t, xt).mul(xt));
        NDArray var = extract(schedule::posteriorVariance, t, xt);
        NDArray logVar = extract(schedule::posteriorLogVarianceClipped, t, xt);
        return new Gaussian(mean, var, logVar);
    }

    /** The reverse mean from ε, (13) and (23): μ = (1/√α_t)(x_t - β_t/√(1 - ᾱ_t) · ε). */
    public NDArray pMeanFromEps(NDArray xt, NDArray t, NDArray eps) {
        NDArray coef = extract(s -> schedule.beta(s) / schedule.sqrtOneMinusAlphaBar(s), t, xt);
        return xt.sub(coef.mul(eps)).mul(extract(s -> 1 / Math.sqrt(schedule.alpha(s)), t, xt));
    }

    /** σ_t² of (20) under this diffusion's {@link VarianceType}, shaped to broadcast against x. */
    public NDArray modelVariance(NDArray t, NDArray like) {
        return extract(s -> variance.variance(schedule, s), t, like);
    }

    /** The predicted x_0 that the network's output implies, for this diffusion's {@link PredictionType}. */
    public NDArray predictX0(NDArray modelOutput, NDArray xt, NDArray t) {
        return switch (prediction) {
            case EPSILON -> predictX0FromEps(xt, t, modelOutput);
            case SAMPLE -> modelOutput;
            case V -> predictX0FromV(xt, t, modelOutput);
        };
    }

    /** The predicted ε that the network's output implies, for this diffusion's {@link PredictionType}. */
    public NDArray predictEps(NDArray modelOutput, NDArray xt, NDArray t) {
        return switch (prediction) {
            case EPSILON -> modelOutput;
            case SAMPLE -> predictEpsFromX0(xt, t, modelOutput);
            case V -> predictEpsFromV(xt, t, modelOutput);
        };
    }

    /**
     * The reverse step p_θ(x_{t-1} | x_t) = N(μ_θ, σ_t² I) of (5)(20). μ_θ is the posterior mean
     * (11) at the predicted x_0, which for ε-prediction without clipping is exactly (23).
     *
     * @param clipDenoised clip the predicted x_0 to [-1, 1] first (for sampling)
     */
    public ModelPrediction pMeanVariance(NDArray modelOutput, NDArray xt, NDArray t, boolean clipDenoised) {
        NDArray predX0 = predictX0(modelOutput, xt, t);
        NDArray predEps;
        if (clipDenoised) {
            predX0 = predX0.clip(-1, 1);
            predEps = predictEpsFromX0(xt, t, predX0);
        } else {
            predEps = predictEps(modelOutput, xt, t);
        }
        NDArray mean = qPosteriorMeanVariance(predX0, xt, t).mean();
        NDArray var = modelVariance(t, xt);
        NDArray logVar = extract(s -> Math.log(variance.variance(schedule, s)), t, xt);
        return new ModelPrediction(mean, var, logVar, predX0, predEps);
    }

    // ---------------------------------------------------------------- the bound (14)-(17)

    /** L_T = D_KL(q(x_T | x_0) || N(0, I)) of (17), per batch item, in bits per dimension. */
    public NDArray priorBpd(NDArray x0) {
        long b = x0.getShape().get(0);
        NDArray t = x0.getManager().full(new Shape(b), schedule.steps(), DataType.INT64);
        Gaussian q = qMeanVariance(x0, t);
        NDArray zero = x0.zerosLike();
        NDArray kl = GaussianMath.normalKl(q.mean(), q.logVariance(), zero, zero);
        return Ops.div(GaussianMath.meanFlat(kl), LN2);
    }

    /**
     * L_0 = -log p_θ(x_0 | x_1) of (17) with the discrete decoder over 256 levels, per element, in
     * nats.
     */
    public NDArray decoderNll(NDArray x0, ModelPrediction p) {
        return GaussianMath.discretizedGaussianLogLikelihood(x0, p.mean(), Ops.mul(p.logVariance(), 0.5)).neg();
    }

    /**
     * One term of the bound, per batch item, in bits per dimension: L_{t-1} = D_KL(q(x_{t-1} | x_t,
     * x_0) || p_θ(x_{t-1} | x_t)) of (17)(18) where t &gt; 1, and the decoder term L_0 where t = 1.
     */
    public NDArray vbTermBpd(NDArray modelOutput, NDArray x0, NDArray xt, NDArray t) {
        Gaussian q = qPosteriorMeanVariance(x0, xt, t);
        ModelPrediction p = pMeanVariance(modelOutput, xt, t, false);
        NDArray kl = Ops.div(
                GaussianMath.meanFlat(GaussianMath.normalKl(q.mean(), q.logVariance(), p.mean(), p.logVariance())),
                LN2);
        NDArray nll = Ops.div(GaussianMath.meanFlat(decoderNll(x0, p)), LN2);
        return NDArrays.where(t.eq(1), nll, kl);
    }

    // ---------------------------------------------------------------- training objectives

    /** L_simple (25) per batch item: the mean over dimensions of (ε - ε_θ)². */
    public NDArray lossSimple(NDArray eps, NDArray epsPred) {
        return GaussianMath.meanFlat(eps.sub(epsPred).square());
    }

    /**
     * The weighted loss (24) per batch item: β_t² / (2 σ_t² α_t (1 - ᾱ_t)) times the mean over
     * dimensions of (ε - ε_θ)², with σ_t² of this diffusion's {@link VarianceType}.
     */
    public NDArray lossWeighted(NDArray eps, NDArray epsPred, NDArray t) {
        NDArray w = extract(s -> schedule.epsilonLossWeight(s, variance.variance(schedule, s)), t, t);
        return GaussianMath.meanFlat(eps.sub(epsPred).square()).mul(w);
    }

    /**
     * The min-SNR-γ weight of the squared error of this diffusion's {@link PredictionType} at t, so
     * that weight · ||target - output||² = min(SNR_t, γ) · ||x_0 - x̂_0||²: min(SNR, γ)/SNR for ε,
     * min(SNR, γ) for x_0, min(SNR, γ)/(SNR + 1) for v.
     */
    public double minSnrWeight(int t) {
        double snr = schedule.snr(t);
        double clipped = Math.min(snr, minSnrGamma);
        return switch (prediction) {
            case EPSILON -> clipped / snr;
            case SAMPLE -> clipped;
            case V -> clipped / (snr + 1);
        };
    }

    /**
     * The training loss per batch item for a model output at x_t = qSample(x0, t, noise), under this
     * diffusion's {@link LossType}: (25) against the target of the {@link PredictionType}, (24) on
     * the implied ε, or (25) weighted by {@link #minSnrWeight}.
     */
    public NDArray trainingLoss(NDArray modelOutput, NDArray x0, NDArray xt, NDArray t, NDArray noise) {
        if (loss == LossType.WEIGHTED) {
            return lossWeighted(noise, predictEps(modelOutput, xt, t), t);
        }
        NDArray target = switch (prediction) {
            case EPSILON -> noise;
            case SAMPLE -> x0;
            case V -> vTarget(x0, t, noise);
        };
        NDArray simple = lossSimple(target, modelOutput);
        if (loss == LossType.MIN_SNR) {
            return simple.mul(extract(this::minSnrWeight, t, t));
        }
        return simple;
    }

    // ---------------------------------------------------------------- progressive distillation

    /**
     * The deterministic DDIM step (η = 0) with a timestep per item: x_s = √ᾱ_s x̂_0 + √(1 - ᾱ_s) ε̂, i.e. (4) with the
     * predicted x_0 and ε in place of the draw; s = 0 gives x̂_0 itself (ᾱ_0 = 1).
     *
     * @param s (B) target timesteps in 0..T
     */
    public NDArray ddimStep(NDArray x0, NDArray eps, NDArray s) {
        return extract(schedule::sqrtAlphaBar, s, x0).mul(x0).add(extract(schedule::sqrtOneMinusAlphaBar, s, x0).mul(eps));
    }

    /**
     * Progressive distillation's target (Salimans and Ho, 2022, Algorithm 2): the x_0 for which one deterministic
     * DDIM step from x_t at t lands exactly on x_s at s &lt; t,
     * x̃ = (x_s - (σ_s/σ_t) x_t) / (α_s - (σ_s/σ_t) α_t) with α = √ᾱ and σ = √(1 - ᾱ); for s = 0 it is x_s. The
     * coefficients are formed in double precision and rounded once.
     *
     * @param t (B) timesteps in 1..T
     * @param s (B) timesteps, each below its t
     */
    public NDArray distillationTarget(NDArray xt, NDArray t, NDArray xs, NDArray s) {
        long[] ts = timesteps(t);
        long[] ss = timesteps(s);
        double[] onXs = new double[ts.length];
        double[] onXt = new double[ts.length];
        for (int i = 0; i < ts.length; i++) {
            int ti = Math.toIntExact(ts[i]);
            int si = Math.toIntExact(ss[i]);
            if (si >= ti) {
                throw new IllegalArgumentException("the distillation target needs s < t, got s = " + si + ", t = " + ti);
            }
            double ratio = schedule.sqrtOneMinusAlphaBar(si) / schedule.sqrtOneMinusAlphaBar(ti);
            double denominator = schedule.sqrtAlphaBar(si) - ratio * schedule.sqrtAlphaBar(ti);
            onXs[i] = 1 / denominator;
            onXt[i] = -ratio / denominator;
        }
        Shape shape = perItem(ts.length, xt);
        NDManager scope = t.getManager();
        NDArray x = Ops.constant64(scope, onXs, shape).mul(Ops.toDouble(xs, scope))
                .add(Ops.constant64(scope, onXt, shape).mul(Ops.toDouble(xt, scope)));
        return x.toType(xt.getDataType(), false);
    }

    /**
     * The weight of progressive distillation's x loss, "truncated SNR" (Salimans and Ho, 2022, section 4):
     * max(SNR_t, 1) with SNR_t = ᾱ_t / (1 - ᾱ_t), so that the loss does not vanish where the signal does.
     */
    public double truncatedSnrWeight(int t) {
        return Math.max(schedule.alphaBar(t) / schedule.oneMinusAlphaBar(t), 1);
    }

    /**
     * Progressive distillation's loss per batch item: max(SNR_t, 1) times the mean over dimensions of (x̃ - x̂_θ)²,
     * with x̂_θ the x_0 the network's output implies (unclipped) and x̃ {@link #distillationTarget}.
     */
    public NDArray distillationLoss(NDArray modelOutput, NDArray xt, NDArray t, NDArray target) {
        NDArray x0 = predictX0(modelOutput, xt, t);
        return GaussianMath.meanFlat(target.sub(x0).square()).mul(extract(this::truncatedSnrWeight, t, t));
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Gathers f(t_i) for each batch item, rounds to float32 and shapes it (B, 1, ..., 1) to broadcast
     * against {@code like}; lucidrains' {@code extract}. The result lives in {@code t}'s manager.
     */
    NDArray extract(IntToDoubleFunction f, NDArray t, NDArray like) {
        long[] ts = timesteps(t);
        float[] v = new float[ts.length];
        for (int i = 0; i < ts.length; i++) {
            v[i] = (float) f.applyAsDouble(Math.toIntExact(ts[i]));
        }
        // in t's manager: callers make t per step, so the coefficient, and every result whose first
        // operand it is, lives in the step's scope even when x_0 lives longer (docs/ENGINE.md, "Ownership")
        return Ops.constant(t.getManager(), v, perItem(ts.length, like));
    }

    /** {@link #extract} in double precision, for the steps whose coefficients must not be rounded to float32. */
    NDArray extract64(IntToDoubleFunction f, NDArray t, NDArray like) {
        long[] ts = timesteps(t);
        double[] v = new double[ts.length];
        for (int i = 0; i < ts.length; i++) {
            v[i] = f.applyAsDouble(Math.toIntExact(ts[i]));
        }
        return Ops.constant64(t.getManager(), v, perItem(ts.length, like));
    }

    /** (B, 1, 1, ...): one value per item, broadcasting against {@code like}. */
    private static Shape perItem(int items, NDArray like) {
        long[] dims = new long[Math.max(1, like.getShape().dimension())];
        java.util.Arrays.fill(dims, 1);
        dims[0] = items;
        return new Shape(dims);
    }

    private static long[] timesteps(NDArray t) {
        if (t.getShape().dimension() != 1) {
            throw new IllegalArgumentException("timesteps must have shape (B), got " + t.getShape());
        }
        if (t.getDataType() == DataType.INT64) {
            return t.toLongArray();
        }
        if (t.getDataType() == DataType.INT32) {
            int[] i = t.toIntArray();
            long[] l = new long[i.length];
            for (int k = 0; k < i.length; k++) {
                l[k] = i[k];
            }
            return l;
        }
        throw new IllegalArgumentException("timesteps must be INT32 or INT64, got " + t.getDataType());
    }
}

package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.schedule.NoiseSchedule;
import java.util.Objects;

/**
 * DPM-Solver++(2M) (Lu, Zhou, Bao, Chen, Li and Zhu, 2022, arXiv 2211.01095): the probability-flow
 * ODE of (4) solved in data prediction, multistep, second order.
 *
 * <p>With α = √ᾱ_t, σ = √(1 - ᾱ_t) and the half log-SNR λ = log(α / σ), one step from s (the current
 * grid time) to t (the next, h = λ_t - λ_s &gt; 0) is
 *
 * <pre>
 *   x_t = (σ_t / σ_s) x_s + α_t (1 - e^{-h}) D,
 * </pre>
 *
 * where D = x̂_0(s) (first order, which is DDIM with η = 0) or, with the previous step's prediction
 * x̂_0(r) and r = (λ_s - λ_r) / h, D = (1 + 1/(2r)) x̂_0(s) - 1/(2r) x̂_0(r) (second order). The first
 * step has no previous prediction, and the last, from t = 1 into t = 0 where σ = 0 and λ = ∞, is
 * first order, which there is x̂_0 itself: the paper's lower order at the final step. (A first-order
 * step before it as well, which the paper suggests for fewer than 15 steps, made few-step sampling of
 * Gaussian data worse here: {@code DpmSolverTest}.) x̂_0 is whatever the network's {@link
 * dev.diffusion4j.diffusion.PredictionType} implies, clipped to [-1, 1] like the other samplers do.
 *
 * <p>SDE-DPM-Solver++(2M) ({@link Equation#REVERSE_SDE}) solves the reverse SDE of the same
 * marginals instead, which draws fresh noise at every step as ancestral sampling (the paper's
 * Algorithm 2) does. Its exact solution from s to t, with x̂_0 taken as a function of λ, is
 *
 * <pre>
 *   x_t = (σ_t / σ_s) e^{-h} x_s + 2 α_t ∫_{λ_s}^{λ_t} e^{-2(λ_t - λ)} x̂_0(λ) dλ + σ_t √(1 - e^{-2h}) z,
 * </pre>
 *
 * and with x̂_0 held at D over the step it gives
 *
 * <pre>
 *   x_t = (σ_t / σ_s) e^{-h} x_s + α_t (1 - e^{-2h}) D + σ_t √(1 - e^{-2h}) z,
 * </pre>
 *
 * with the same D as above (the same midpoint weight 1/(2r), which matches the exact integral of a
 * linear x̂_0 to first order in h). Its first-order step is DDIM with η = 1 on the same grid: DDIM's
 * noise variance (1 - ᾱ')/(1 - ᾱ)·(1 - ᾱ/ᾱ') is σ_t²(1 - e^{-2h}), and its mean, written in x_s and
 * x̂_0, has the two coefficients above ({@code DpmSolverTest}). The last step lands on σ = 0 and adds no
 * noise.
 *
 * <p>The grid is S model evaluations from T down, either evenly spaced in t from T to 1 ({@link
 * Grid#UNIFORM_T}), evenly spaced in λ and rounded to the nearest timestep ({@link Grid#LOG_SNR}), or at the multiples
 * of T/S ({@link Grid#TRAILING}).
 */
public final class DpmSolverPlusPlus implements Sampler {
    /** How the S evaluation times are spread over 1..T. */
    public enum Grid {
        /** Evenly in t, as DDIM's grid. */
        UNIFORM_T,
        /** Evenly in the log signal-to-noise ratio, each rounded to the nearest timestep. */
        LOG_SNR,
        /**
         * round(jT/S) for j = S down to 1: T first and T/S last, so that the last step spans as much as every other
         * (diffusers' "trailing" spacing). The grid a distilled student learns: each halving of S keeps every other
         * point.
         */
        TRAILING
    }

    /** The S timesteps of {@code grid} on a schedule, T first. */
    static int[] timesteps(Grid grid, NoiseSchedule s, int steps) {
        return switch (grid) {
            case UNIFORM_T -> DdimSampler.grid(s.steps(), steps);
            case LOG_SNR -> logSnrGrid(s, steps);
            case TRAILING -> DdimSampler.trailingGrid(s.steps(), steps);
        };
    }

    /** Which differential equation of the reverse process the solver follows. */
    public enum Equation {
        /** The probability-flow ODE: deterministic, DPM-Solver++(2M). */
        PROBABILITY_FLOW_ODE,
        /** The reverse SDE: fresh noise at every step but the last, SDE-DPM-Solver++(2M). */
        REVERSE_SDE
    }

    private final GaussianDiffusion diffusion;
    private final int[] timesteps;
    private final int order;
    private final Equation equation;

    /** The probability-flow ODE solver. */
    public DpmSolverPlusPlus(GaussianDiffusion diffusion, int steps, Grid grid, int order) {
        this(diffusion, steps, grid, order, Equation.PROBABILITY_FLOW_ODE);
    }

    /**
     * @param steps S model evaluations, 1 ≤ S ≤ T
     * @param grid where they are
     * @param order 1 (DDIM's update in DPM-Solver++ form: η = 0 for the ODE, η = 1 for the SDE) or 2
     * @param equation the ODE or the SDE
     */
    public DpmSolverPlusPlus(GaussianDiffusion diffusion, int steps, Grid grid, int order, Equation equation) {
        int n = diffusion.schedule().steps();
        if (steps < 1 || steps > n) {
            throw new IllegalArgumentException("DPM-Solver++ steps must be in 1.." + n + ", got " + steps);
        }
        if (order != 1 && order != 2) {
            throw new IllegalArgumentException("DPM-Solver++ order must be 1 or 2, got " + order);
        }
        this.diffusion = diffusion;
        this.order = order;
        this.equation = Objects.requireNonNull(equation, "equation");
        this.timesteps = timesteps(grid, diffusion.schedule(), steps);
    }

    /** The half log-SNR λ_t = log(√ᾱ_t / √(1 - ᾱ_t)). */
    static double lambda(NoiseSchedule s, int t) {
        return 0.5 * (Math.log(s.alphaBar(t)) - Math.log(s.oneMinusAlphaBar(t)));
    }

    /**
     * S timesteps, T first and 1 last, whose λ are as evenly spaced as integer timesteps allow: the
     * nearest timestep to each of S evenly spaced λ values, pushed apart where two coincide.
     */
    static int[] logSnrGrid(NoiseSchedule s, int steps) {
        int n = s.steps();
        int[] out = new int[steps];
        if (steps == 1) {
            out[0] = n;
            return out;
        }
        double hi = lambda(s, 1);
        double lo = lambda(s, n);
        int t = n;
        for (int i = 0; i < steps; i++) {
            double target = lo + (hi - lo) * i / (steps - 1);
            // λ falls as t grows: walk t down until λ_t reaches the target, then take the nearer neighbour
            int cand = Math.min(t, n);
            while (cand > 1 && lambda(s, cand - 1) <= target) {
                cand--;
            }
            if (cand > 1 && Math.abs(lambda(s, cand - 1) - target) < Math.abs(lambda(s, cand) - target)) {
                cand--;
            }
            int latest = i == 0 ? n : out[i - 1] - 1;
            int room = steps - 1 - i; // later entries need distinct timesteps below this one
            out[i] = Math.max(1 + room, Math.min(cand, latest));
        }
        out[0] = n;
        out[steps - 1] = 1;
        return out;
    }

    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    /** Only for the reverse SDE. */
    @Override
    public boolean stochastic() {
        return equation == Equation.REVERSE_SDE;
    }

    /** First-order step (no previous prediction). */
    @Override
    public StepOutput step(NDArray modelOutput, int i, NDArray sample, NDArray noise) {
        return step(modelOutput, i, sample, noise, null);
    }

    /**
     * One step from timesteps()[i] to the next grid time (or to x_0 after the last).
     *
     * @param previousPredX0 x̂_0 predicted at timesteps()[i - 1], or null
     */
    @Override
    public StepOutput step(NDArray modelOutput, int i, NDArray sample, NDArray noise, NDArray previousPredX0) {
        NoiseSchedule s = diffusion.schedule();
        int t = timesteps[i];
        NDArray predX0 = diffusion.predictX0(modelOutput, sample, SamplingLoop.timestepArray(sample, t)).clip(-1, 1);
        if (i == timesteps.length - 1) {
            return new StepOutput(predX0.duplicate(), predX0); // σ = 0 at t = 0: the solution is x̂_0
        }
        int next = timesteps[i + 1];
        double h = lambda(s, next) - lambda(s, t);
        NDArray d = predX0;
        if (order == 2 && previousPredX0 != null && i > 0) {
            double r = (lambda(s, t) - lambda(s, timesteps[i - 1])) / h;
            d = Ops.mul(predX0, 1 + 1 / (2 * r)).sub(Ops.mul(previousPredX0, 1 / (2 * r)));
        }
        double ratio = s.sqrtOneMinusAlphaBar(next) / s.sqrtOneMinusAlphaBar(t);
        if (equation == Equation.PROBABILITY_FLOW_ODE) {
            NDArray x = Ops.mul(sample, ratio).add(Ops.mul(d, s.sqrtAlphaBar(next) * -Math.expm1(-h)));
            return new StepOutput(x, predX0);
        }
        double oneMinusE2h = -Math.expm1(-2 * h);
        NDArray x = Ops.mul(sample, ratio * Math.exp(-h))
                .add(Ops.mul(d, s.sqrtAlphaBar(next) * oneMinusE2h))
                .add(Ops.mul(noise, s.sqrtOneMinusAlphaBar(next) * Math.sqrt(oneMinusE2h)));
        return new StepOutput(x, predX0);
    }
}

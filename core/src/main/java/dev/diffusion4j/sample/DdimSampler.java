package dev.diffusion4j.sample;

import ai.djl.ndarray.NDArray;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.schedule.NoiseSchedule;

/**
 * DDIM (Song, Meng and Ermon, 2021) on a respaced grid τ_1 &lt; … &lt; τ_S: from x at τ_i to τ_{i-1}
 * (x_0 after τ_1, where ᾱ = 1):
 * x' = √ᾱ' x̂_0 + √(1 - ᾱ' - σ²) ε̂ + σ z, σ = η √((1 - ᾱ')/(1 - ᾱ)) √(1 - ᾱ/ᾱ'),
 * with x̂_0 the (clipped) predicted x_0 and ε̂ the noise it implies. η = 0 is deterministic; η = 1
 * on the full grid is ancestral sampling with σ_t² = β̃_t.
 */
public final class DdimSampler implements Sampler {
    private final GaussianDiffusion diffusion;
    private final int[] timesteps;
    private final double eta;

    /**
     * @param steps S, the number of model evaluations (1 ≤ S ≤ T)
     * @param eta η ≥ 0
     */
    public DdimSampler(GaussianDiffusion diffusion, int steps, double eta) {
        this(diffusion, steps, eta, DpmSolverPlusPlus.Grid.UNIFORM_T);
    }

    /**
     * DDIM on another grid.
     *
     * @param steps S, the number of model evaluations (1 ≤ S ≤ T)
     * @param eta η ≥ 0
     * @param grid where the S evaluations are ({@link DpmSolverPlusPlus.Grid#UNIFORM_T} is this sampler's own)
     */
    public DdimSampler(GaussianDiffusion diffusion, int steps, double eta, DpmSolverPlusPlus.Grid grid) {
        int n = diffusion.schedule().steps();
        if (steps < 1 || steps > n) {
            throw new IllegalArgumentException("DDIM steps must be in 1.." + n + ", got " + steps);
        }
        if (!(eta >= 0) || !Double.isFinite(eta)) {
            throw new IllegalArgumentException("eta must be ≥ 0, got " + eta);
        }
        this.diffusion = diffusion;
        this.eta = eta;
        this.timesteps = DpmSolverPlusPlus.timesteps(grid, diffusion.schedule(), steps);
    }

    /**
     * DDIM on the given timesteps, strictly descending within 1..T; the last step goes to x_0.
     *
     * @param timesteps where the model is evaluated, the noisiest first
     * @param eta η ≥ 0
     */
    public static DdimSampler onTimesteps(GaussianDiffusion diffusion, int[] timesteps, double eta) {
        return new DdimSampler(diffusion, timesteps, eta);
    }

    private DdimSampler(GaussianDiffusion diffusion, int[] timesteps, double eta) {
        int n = diffusion.schedule().steps();
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] < 1 || timesteps[i] > n || i > 0 && timesteps[i] >= timesteps[i - 1]) {
                throw new IllegalArgumentException("DDIM timesteps must descend strictly within 1.." + n + ", got "
                        + java.util.Arrays.toString(timesteps));
            }
        }
        if (timesteps.length == 0 || !(eta >= 0) || !Double.isFinite(eta)) {
            throw new IllegalArgumentException("DDIM needs at least one timestep and eta ≥ 0");
        }
        this.diffusion = diffusion;
        this.eta = eta;
        this.timesteps = timesteps.clone();
    }

    /**
     * S timesteps at the multiples of T/S, rounded, descending: T, …, round(T/S) (diffusers' "trailing" spacing).
     * Halving S keeps every other point when S divides into T evenly enough that no two round together.
     */
    public static int[] trailingGrid(int n, int steps) {
        if (steps < 1 || steps > n) {
            throw new IllegalArgumentException("steps must be in 1.." + n + ", got " + steps);
        }
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = (int) Math.round((double) (steps - i) * n / steps);
        }
        return out;
    }

    /** S timesteps evenly spread over 1..T, T included, descending. */
    static int[] grid(int n, int steps) {
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            double x = steps == 1 ? n : 1 + (double) (steps - 1 - i) * (n - 1) / (steps - 1);
            out[i] = (int) Math.round(x);
        }
        return out;
    }

    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    /** Only with η &gt; 0. */
    @Override
    public boolean stochastic() {
        return eta > 0;
    }

    @Override
    public StepOutput step(NDArray modelOutput, int i, NDArray sample, NDArray noise) {
        NoiseSchedule s = diffusion.schedule();
        int t = timesteps[i];
        int prev = i + 1 < timesteps.length ? timesteps[i + 1] : 0;
        double ab = s.alphaBar(t);
        double abPrev = s.alphaBar(prev);
        double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
        NDArray tt = SamplingLoop.timestepArray(sample, t);
        NDArray predX0 = diffusion.predictX0(modelOutput, sample, tt).clip(-1, 1);
        NDArray eps = diffusion.predictEpsFromX0(sample, tt, predX0);
        double dirCoef = Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
        NDArray x = Ops.mul(predX0, Math.sqrt(abPrev)).add(Ops.mul(eps, dirCoef));
        if (sigma > 0) {
            x = x.add(Ops.mul(noise, sigma));
        }
        return new StepOutput(x, predX0);
    }
}

package dev.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.model.Denoiser;
import java.util.SplittableRandom;

/**
 * One round of progressive distillation (Salimans and Ho, 2022, arXiv 2202.00512, Algorithm 2) as a training
 * {@link Objective}: the student learns to do in one deterministic DDIM step what its teacher does in two.
 *
 * <p>The student's S steps sit on the trailing grid u_j = round(jT/S), j = 1..S (u_0 = 0); its teacher's 2S on
 * round(kT/2S), so the teacher's grid is the student's with a midpoint m_j = round((2j - 1)T/2S) inside each step.
 * An item draws j uniformly, is noised to t = u_j by (4), and the teacher takes two DDIM steps (η = 0, x̂_0 clipped
 * to [-1, 1] as the sampler does) u_j → m_j → u_{j-1}. The target is the x_0 for which one DDIM step from x_t lands
 * where those two did ({@link GaussianDiffusion#distillationTarget}), and the loss the student's x̂_0 against it
 * with the truncated-SNR weight max(SNR_t, 1) ({@link GaussianDiffusion#distillationLoss}), whatever the network's
 * parameterisation (v-prediction, as the paper recommends, keeps x̂_0 well defined at t = T).
 *
 * <p>A class-conditional teacher is distilled at guidance 1, its plain conditional prediction; the labels the step
 * dropped to "no class" ask it for its unconditional one, so the student keeps both.
 */
public final class Distillation implements Objective {
    private final GaussianDiffusion diffusion;
    private final Denoiser teacher;
    private final int steps;
    private final int[] grid;
    private final int[] midpoint;
    private final int[] indexOf;

    /**
     * @param teacher the teacher's network (its EMA weights), without gradients
     * @param steps S, the student's steps; the teacher takes 2S, 2S ≤ T
     */
    public Distillation(GaussianDiffusion diffusion, Denoiser teacher, int steps) {
        int n = diffusion.schedule().steps();
        if (steps < 1 || 2 * steps > n) {
            throw new IllegalArgumentException("distillation to " + steps + " steps needs 1 ≤ steps and 2·steps ≤ T = " + n);
        }
        this.diffusion = diffusion;
        this.teacher = teacher;
        this.steps = steps;
        this.grid = new int[steps + 1];
        this.midpoint = new int[steps + 1];
        this.indexOf = new int[n + 1];
        java.util.Arrays.fill(indexOf, -1);
        for (int j = 0; j <= steps; j++) {
            grid[j] = (int) Math.round((double) j * n / steps);
            midpoint[j] = j == 0 ? 0 : (int) Math.round((2.0 * j - 1) * n / (2.0 * steps));
            indexOf[grid[j]] = j;
        }
    }

    /** The student's grid u_1 &lt; … &lt; u_S (u_j = round(jT/S)), ascending. */
    public int[] studentTimesteps() {
        return java.util.Arrays.copyOfRange(grid, 1, steps + 1);
    }

    /** The teacher's timesteps, 2S of them, ascending: the student's with each step's midpoint. */
    public int[] teacherTimesteps() {
        int[] out = new int[2 * steps];
        for (int j = 1; j <= steps; j++) {
            out[2 * j - 2] = midpoint[j];
            out[2 * j - 1] = grid[j];
        }
        return out;
    }

    /** u_j for j uniform in 1..S. */
    @Override
    public long timestep(SplittableRandom r) {
        return grid[1 + r.nextInt(steps)];
    }

    /** x̃: where the teacher's two DDIM steps from x_t land, as the x_0 one step would need. */
    @Override
    public NDArray target(NDArray x0, NDArray xt, NDArray t, NDArray labels) {
        long[] ts = t.toLongArray();
        long[] mid = new long[ts.length];
        long[] next = new long[ts.length];
        for (int i = 0; i < ts.length; i++) {
            int j = indexOf[Math.toIntExact(ts[i])];
            if (j < 1) {
                throw new IllegalArgumentException("timestep " + ts[i] + " is not on the student's grid");
            }
            mid[i] = midpoint[j];
            next[i] = grid[j - 1];
        }
        NDArray tMid = t.getManager().create(mid);
        NDArray tNext = t.getManager().create(next);
        NDArray landed = teacherStep(teacherStep(xt, t, tMid, labels), tMid, tNext, labels);
        return diffusion.distillationTarget(xt, t, landed, tNext);
    }

    /**
     * One deterministic DDIM step of the teacher from x at t to s (per item): x̂_0 from its output, clipped to [-1, 1],
     * the ε it implies, and {@link GaussianDiffusion#ddimStep}.
     */
    NDArray teacherStep(NDArray x, NDArray t, NDArray s, NDArray labels) {
        NDArray out = teacher.apply(x, t, labels);
        NDArray x0 = diffusion.predictX0(out, x, t).clip(-1, 1);
        NDArray eps = diffusion.predictEpsFromX0(x, t, x0);
        return diffusion.ddimStep(x0, eps, s);
    }

    @Override
    public NDArray loss(NDArray out, NDArray x0, NDArray xt, NDArray t, NDArray noise, NDArray target) {
        return diffusion.distillationLoss(out, xt, t, target);
    }
}

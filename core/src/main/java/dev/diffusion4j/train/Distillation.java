package dev.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.io.SafeTensors;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.model.Weights;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * dropped to "no class" ask it for its unconditional one, so the student keeps both. Guided distillation (Meng et al.
 * 2023, arXiv 2210.03142) instead draws a guidance scale w per item, uniformly from a range, takes the teacher's two
 * steps guided at w ({@link Teacher#classifierFree}: ε_∅ + w (ε_y − ε_∅) per item, or a student that takes w as an
 * input, {@link Teacher#guidanceInput}) and trains a student that takes w as an input: one pass per step at any w
 * of the range instead of two.
 */
public final class Distillation implements Objective {
    private final GaussianDiffusion diffusion;
    private final Teacher teacher;
    private final int steps;
    private final int[] grid;
    private final int[] midpoint;
    private final int[] indexOf;
    private final double guidanceMin;
    private final double guidanceMax;
    private final boolean sameSteps;

    /**
     * The teacher as a distillation round calls it: its output at (x, t, labels) guided at w per item.
     */
    @FunctionalInterface
    public interface Teacher {
        /**
         * @param labels (B) labels, or null for an unconditional model
         * @param w (B) guidance scales, float, or null for the plain (unguided) output
         */
        NDArray apply(NDArray x, NDArray t, NDArray labels, NDArray w);

        /** A teacher that is only ever asked for its plain output. */
        static Teacher plain(Denoiser net) {
            return (x, t, labels, w) -> {
                if (w != null) {
                    throw new IllegalArgumentException("this teacher is distilled without guidance");
                }
                return net.apply(x, t, labels);
            };
        }

        /**
         * A class-conditional network under classifier-free guidance with a scale per item: ε_∅ + w (ε_y − ε_∅), the
         * two halves in one batched pass (as the sampler's classifier-free guidance does for one scale).
         *
         * @param nullLabel the "no class" label K
         */
        static Teacher classifierFree(Denoiser net, int nullLabel) {
            return (x, t, labels, w) -> {
                if (w == null || labels == null) {
                    return net.apply(x, t, labels);
                }
                long b = x.getShape().get(0);
                NDArray none = x.getManager().full(labels.getShape(), nullLabel, DataType.INT64);
                NDArray both = net.apply(x.concat(x, 0), t.concat(t, 0), labels.toType(DataType.INT64, false).concat(none, 0));
                NDArray cond = both.get(new NDIndex("0:{}", b));
                NDArray uncond = both.get(new NDIndex("{}:", b));
                NDArray scale = w.toType(DataType.FLOAT32, false).reshape(b, 1, 1, 1);
                return cond.sub(uncond).mul(scale).add(uncond);
            };
        }

        /** A network that takes the guidance scale as an input (an earlier round's guided student). */
        static Teacher guidanceInput(UNet net, ParameterStore ps) {
            return (x, t, labels, w) -> net.forward(ps, x, t, labels, w, false);
        }
    }

    /**
     * @param teacher the teacher's network (its EMA weights), without gradients
     * @param steps S, the student's steps; the teacher takes 2S, 2S ≤ T
     */
    public Distillation(GaussianDiffusion diffusion, Denoiser teacher, int steps) {
        this(diffusion, Teacher.plain(teacher), steps, Double.NaN, Double.NaN, false);
    }

    /**
     * Guided distillation: each item at a guidance scale drawn uniformly from [wMin, wMax], the teacher's two steps
     * guided at it, the student given it as an input.
     *
     * @param teacher the teacher, guided at each item's scale
     * @param wMin the smallest scale, ≥ 0
     * @param wMax the largest, ≥ wMin
     */
    public static Distillation guided(GaussianDiffusion diffusion, Teacher teacher, int steps, double wMin, double wMax) {
        TrainConfig.Distillation.requireGuidanceRange(wMin, wMax);
        return new Distillation(diffusion, teacher, steps, wMin, wMax, false);
    }

    /**
     * The first stage of guided distillation on a teacher's own grid: the student keeps the teacher's S steps and learns
     * to land in one step where one step of the teacher guided at the item's scale lands, i.e. the guided teacher's
     * (clipped) x̂_0, with the scale as an input.
     *
     * @param teacher the teacher, guided at each item's scale
     * @param steps S, the teacher's and the student's steps, S ≤ T
     */
    public static Distillation guidanceOnly(GaussianDiffusion diffusion, Teacher teacher, int steps, double wMin, double wMax) {
        TrainConfig.Distillation.requireGuidanceRange(wMin, wMax);
        return new Distillation(diffusion, teacher, steps, wMin, wMax, true);
    }

    private Distillation(GaussianDiffusion diffusion, Teacher teacher, int steps, double guidanceMin, double guidanceMax, boolean sameSteps) {
        int n = diffusion.schedule().steps();
        if (steps < 1 || (sameSteps ? steps : 2 * steps) > n) {
            throw new IllegalArgumentException("distillation to " + steps + " steps needs 1 ≤ steps and 2·steps ≤ T = " + n);
        }
        this.diffusion = diffusion;
        this.teacher = teacher;
        this.steps = steps;
        this.guidanceMin = guidanceMin;
        this.guidanceMax = guidanceMax;
        this.sameSteps = sameSteps;
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

    /**
     * A student's first weights: its teacher's, and for a student that takes the guidance scale as an input and a
     * teacher that does not, an embedding of the scale drawn from {@code rng} whose last layer is zero, so that the
     * student starts as its teacher's conditional prediction at every scale.
     *
     * @param teacher the teacher's weights (its EMA)
     * @param student the student's network
     * @param rng where the new embedding's first layer is drawn from
     */
    public static Map<String, SafeTensors.Tensor> startingWeights(Map<String, SafeTensors.Tensor> teacher, UNetConfig student,
            Randomness rng) {
        boolean teacherTakesScale = teacher.keySet().stream().anyMatch(k -> k.startsWith(GUIDANCE_PREFIX));
        if (!student.guidanceInput() || teacherTakesScale) {
            return teacher;
        }
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>(teacher);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet fresh = new UNet(student);
            fresh.initializeParameters(m, rng.derive("guidance embedding"));
            Weights.of(fresh).forEach((name, t) -> {
                if (name.startsWith(GUIDANCE_PREFIX)) {
                    out.put(name, t);
                }
            });
        }
        return out;
    }

    /** The names of the guidance scale's embedding in a network that takes it. */
    private static final String GUIDANCE_PREFIX = "guidance.";

    /** The student's grid u_1 &lt; … &lt; u_S (u_j = round(jT/S)), ascending. */
    public int[] studentTimesteps() {
        return java.util.Arrays.copyOfRange(grid, 1, steps + 1);
    }

    /** The teacher's timesteps, ascending: 2S, the student's with each step's midpoint; or the student's own S. */
    public int[] teacherTimesteps() {
        if (sameSteps) {
            return studentTimesteps();
        }
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

    /** Whether this is guided distillation: the student takes the guidance scale as an input. */
    @Override
    public boolean guided() {
        return !Double.isNaN(guidanceMin);
    }

    /** w uniform in the range. */
    @Override
    public double guidance(SplittableRandom r) {
        if (!guided()) {
            throw new IllegalStateException("distillation without guidance draws no scale");
        }
        return guidanceMin + (guidanceMax - guidanceMin) * r.nextDouble();
    }

    /** x̃: where the teacher's two DDIM steps from x_t land, as the x_0 one step would need. */
    @Override
    public NDArray target(NDArray x0, NDArray xt, NDArray t, NDArray labels) {
        return target(x0, xt, t, labels, null);
    }

    /** x̃ with the teacher guided at each item's w (null: unguided). */
    @Override
    public NDArray target(NDArray x0, NDArray xt, NDArray t, NDArray labels, NDArray w) {
        if ((w != null) != guided()) {
            throw new IllegalArgumentException(guided() ? "guided distillation needs a guidance scale per item" : "this distillation is not guided");
        }
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
        NDArray landed = sameSteps ? teacherStep(xt, t, tNext, labels, w) : teacherStep(teacherStep(xt, t, tMid, labels, w), tMid, tNext, labels, w);
        return diffusion.distillationTarget(xt, t, landed, tNext);
    }

    /**
     * One deterministic DDIM step of the teacher from x at t to s (per item): x̂_0 from its output, clipped to [-1, 1],
     * the ε it implies, and {@link GaussianDiffusion#ddimStep}.
     */
    NDArray teacherStep(NDArray x, NDArray t, NDArray s, NDArray labels, NDArray w) {
        NDArray out = teacher.apply(x, t, labels, w);
        NDArray x0 = diffusion.predictX0(out, x, t).clip(-1, 1);
        NDArray eps = diffusion.predictEpsFromX0(x, t, x0);
        return diffusion.ddimStep(x0, eps, s);
    }

    @Override
    public NDArray loss(NDArray out, NDArray x0, NDArray xt, NDArray t, NDArray noise, NDArray target) {
        return diffusion.distillationLoss(out, xt, t, target);
    }
}

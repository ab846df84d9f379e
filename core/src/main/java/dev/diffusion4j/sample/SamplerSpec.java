package dev.diffusion4j.sample;

import dev.diffusion4j.diffusion.GaussianDiffusion;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which sampler, with how many model evaluations: parsed once where the user names it, then the one
 * place that builds a {@link Sampler} for a diffusion.
 *
 * @param kind the algorithm
 * @param steps model evaluations, or null for the kind's default
 * @param eta DDIM's η (0: deterministic); ignored by the other kinds
 * @param grid where the model is evaluated, or null for the kind's default: {@link #DEFAULT_GRID} for DPM-Solver++
 *     (either equation), {@link DpmSolverPlusPlus.Grid#UNIFORM_T} for DDIM; DDPM takes every timestep
 */
public record SamplerSpec(Kind kind, Integer steps, double eta, DpmSolverPlusPlus.Grid grid) {
    /** DPM-Solver++'s grid when none is named. */
    public static final DpmSolverPlusPlus.Grid DEFAULT_GRID = DpmSolverPlusPlus.Grid.LOG_SNR;

    /**
     * The sampler wherever none is named ({@code sample}, {@code eval fid}, the library): DPM-Solver++ in its
     * default 20 evaluations: within 0.4 FID of DDIM 50 at 10,000 samples on both MNIST models with 20 evaluations
     * instead of 50 (docs/RESULTS.md).
     */
    public static final Kind DEFAULT_KIND = Kind.DPM_SOLVER_PP;

    /** A spec with the default grid. */
    public SamplerSpec(Kind kind, Integer steps, double eta) {
        this(kind, steps, eta, null);
    }

    /** The paper's ancestral sampler over all T steps (Algorithm 2). */
    public static SamplerSpec ddpm() {
        return new SamplerSpec(Kind.DDPM, null, 0);
    }

    /** DDIM with η = 0 (deterministic) on {@code steps} evenly spaced timesteps. */
    public static SamplerSpec ddim(int steps) {
        return new SamplerSpec(Kind.DDIM, steps, 0);
    }

    /** DDIM with the given η (1: as stochastic as DDPM) on {@code steps} evenly spaced timesteps. */
    public static SamplerSpec ddim(int steps, double eta) {
        return new SamplerSpec(Kind.DDIM, steps, eta);
    }

    /** DPM-Solver++(2M) with {@code steps} evaluations on the default grid: the default sampler at 20. */
    public static SamplerSpec dpmSolverPlusPlus(int steps) {
        return new SamplerSpec(Kind.DPM_SOLVER_PP, steps, 0);
    }

    /** SDE-DPM-Solver++(2M) with {@code steps} evaluations on the default grid. */
    public static SamplerSpec sdeDpmSolverPlusPlus(int steps) {
        return new SamplerSpec(Kind.SDE_DPM_SOLVER_PP, steps, 0);
    }

    /** The samplers, by the names the command line uses. */
    public enum Kind {
        /** Ancestral sampling over all T steps, the paper's Algorithm 2. */
        DDPM("ddpm", 0),
        /** DDIM on an evenly spaced grid. */
        DDIM("ddim", 50),
        /** DPM-Solver++(2M), multistep second order in data prediction. */
        DPM_SOLVER_PP("dpm-solver++", 20),
        /** SDE-DPM-Solver++(2M): the same multistep solver for the reverse SDE, fresh noise at each step. */
        SDE_DPM_SOLVER_PP("sde-dpm-solver++", 20);

        private final String cliName;
        private final int defaultSteps;

        Kind(String cliName, int defaultSteps) {
            this.cliName = cliName;
            this.defaultSteps = defaultSteps;
        }

        /** The name on the command line. */
        public String cliName() {
            return cliName;
        }

        /**
         * The kind a name denotes, case-insensitively.
         *
         * @throws IllegalArgumentException listing the names when none matches
         */
        public static Kind parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (Kind k : values()) {
                if (k.cliName.equals(n)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown sampler '" + name + "' (expected one of "
                    + String.join(", ", Arrays.stream(values()).map(Kind::cliName).toList()) + ")");
        }

        @Override
        public String toString() {
            return cliName;
        }
    }

    public SamplerSpec {
        if (kind == null) {
            throw new IllegalArgumentException("a sampler kind is required");
        }
        if (!(eta >= 0) || !Double.isFinite(eta)) {
            throw new IllegalArgumentException("eta must be ≥ 0, got " + eta);
        }
    }

    /** The number of model evaluations on {@code d}: DDPM takes all T, the others {@code steps} or their default. */
    public int evaluations(GaussianDiffusion d) {
        int n = d.schedule().steps();
        if (kind == Kind.DDPM) {
            return n;
        }
        return steps != null ? steps : Math.min(kind.defaultSteps, n);
    }

    /**
     * The sampler for {@code d}.
     *
     * @throws IllegalArgumentException when the steps do not fit the kind or the schedule
     */
    public Sampler build(GaussianDiffusion d) {
        int n = d.schedule().steps();
        if (kind == Kind.DDPM && steps != null && steps != n) {
            throw new IllegalArgumentException("ddpm takes all T = " + n + " steps; use --sampler ddim for fewer");
        }
        return switch (kind) {
            case DDPM -> new DdpmSampler(d);
            case DDIM -> new DdimSampler(d, evaluations(d), eta, grid == null ? DpmSolverPlusPlus.Grid.UNIFORM_T : grid);
            case DPM_SOLVER_PP -> new DpmSolverPlusPlus(d, evaluations(d), effectiveGrid(), 2, DpmSolverPlusPlus.Equation.PROBABILITY_FLOW_ODE);
            case SDE_DPM_SOLVER_PP -> new DpmSolverPlusPlus(d, evaluations(d), effectiveGrid(), 2, DpmSolverPlusPlus.Equation.REVERSE_SDE);
        };
    }

    /**
     * What this request means for a model distilled for DDIM with {@code n} steps on the trailing grid: that sampler when
     * this is the default with no steps named, or DDIM with {@code n} steps (or none) on that grid (or none); anything
     * else is refused, since the student has learned nothing else.
     *
     * @param n the steps the model was distilled for
     * @param model what to call the model in the message
     * @throws IllegalArgumentException naming the model, its steps and how far the request is from them
     */
    public SamplerSpec forDistilled(int n, String model) {
        SamplerSpec own = new SamplerSpec(Kind.DDIM, n, kind == Kind.DDIM ? eta : 0, DpmSolverPlusPlus.Grid.TRAILING);
        boolean unnamed = kind == DEFAULT_KIND && steps == null && grid == null;
        boolean same = kind == Kind.DDIM && (steps == null || steps == n) && (grid == null || grid == DpmSolverPlusPlus.Grid.TRAILING);
        if (unnamed || same) {
            return own;
        }
        String asked = kind.cliName() + (steps != null ? " with " + steps + " steps" : "")
                + (grid != null ? " on the " + grid.name().toLowerCase(Locale.ROOT).replace('_', '-') + " grid" : "");
        String far = steps != null && steps != n ? " (" + steps + " is " + ratio(steps, n) + ")" : "";
        throw new IllegalArgumentException(model + " is distilled for ddim with " + n + " steps on the trailing grid, not " + asked + far
                + "; leave --sampler and --steps out to use its own");
    }

    private static String ratio(int asked, int n) {
        double r = asked > n ? (double) asked / n : (double) n / asked;
        String x = r == Math.rint(r) ? Long.toString((long) r) : String.format(Locale.ROOT, "%.2f", r);
        return asked > n ? x + "x its " + n : "1/" + x + " of its " + n;
    }

    /** The grid DPM-Solver++ uses: the one named, or the default. */
    private DpmSolverPlusPlus.Grid effectiveGrid() {
        return grid == null ? DEFAULT_GRID : grid;
    }

    private String gridLabel() {
        return switch (effectiveGrid()) {
            case UNIFORM_T -> "(uniform t)";
            case LOG_SNR -> "";
            case TRAILING -> "(trailing)";
        };
    }

    private String ddimGridLabel() {
        if (grid == null || grid == DpmSolverPlusPlus.Grid.UNIFORM_T) {
            return "";
        }
        return grid == DpmSolverPlusPlus.Grid.TRAILING ? "(trailing)" : "(log-SNR)";
    }

    /** A short label, e.g. {@code DDIM-50} or {@code DDPM-1000}. */
    public String describe(GaussianDiffusion d) {
        String name = switch (kind) {
            case DDPM -> "DDPM";
            case DDIM -> (eta == 0 ? "DDIM" : "DDIM(eta=" + eta + ")") + ddimGridLabel();
            case DPM_SOLVER_PP -> "DPM-Solver++" + gridLabel();
            case SDE_DPM_SOLVER_PP -> "SDE-DPM-Solver++" + gridLabel();
        };
        return name + "-" + evaluations(d);
    }
}

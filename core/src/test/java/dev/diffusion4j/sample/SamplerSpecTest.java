package dev.diffusion4j.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.schedule.BetaSchedule;
import dev.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** The one place samplers are built: names, defaults, labels and what each kind builds. */
class SamplerSpecTest {
    private static final GaussianDiffusion D = GaussianDiffusion.paperDefaults(NoiseSchedule.of(BetaSchedule.LINEAR, 1000));

    @Test
    void namesParseCaseInsensitivelyAndAnUnknownOneListsThemAll() {
        assertThat(SamplerSpec.Kind.parse("SDE-DPM-Solver++")).isEqualTo(SamplerSpec.Kind.SDE_DPM_SOLVER_PP);
        assertThat(SamplerSpec.Kind.parse(" dpm-solver++ ")).isEqualTo(SamplerSpec.Kind.DPM_SOLVER_PP);
        assertThatThrownBy(() -> SamplerSpec.Kind.parse("euler"))
                .hasMessage("unknown sampler 'euler' (expected one of ddpm, ddim, dpm-solver++, sde-dpm-solver++)");
    }

    @Test
    void eachKindBuildsItsSamplerWithItsDefaultSteps() {
        Sampler sde = new SamplerSpec(SamplerSpec.Kind.SDE_DPM_SOLVER_PP, null, 0).build(D);
        Sampler ode = new SamplerSpec(SamplerSpec.Kind.DPM_SOLVER_PP, null, 0).build(D);
        assertThat(sde).isInstanceOf(DpmSolverPlusPlus.class);
        assertThat(sde.stochastic()).isTrue();
        assertThat(ode.stochastic()).isFalse();
        // the same default grid (log-SNR) and evaluations for both equations
        assertThat(sde.timesteps()).hasSize(20).containsExactly(ode.timesteps()).containsExactly(DpmSolverPlusPlus.logSnrGrid(D.schedule(), 20));
        assertThat(new SamplerSpec(SamplerSpec.Kind.SDE_DPM_SOLVER_PP, 10, 0, DpmSolverPlusPlus.Grid.UNIFORM_T).build(D).timesteps())
                .containsExactly(DdimSampler.grid(1000, 10));
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDIM, null, 0).build(D).stochastic()).isFalse();
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDIM, null, 1).build(D).stochastic()).isTrue();
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDPM, null, 0).build(D).timesteps()).hasSize(1000);
        assertThatThrownBy(() -> new SamplerSpec(SamplerSpec.Kind.DDPM, 20, 0).build(D)).hasMessageContaining("--sampler ddim");
    }

    @Test
    void labelsNameTheKindTheGridAndTheEvaluations() {
        assertThat(new SamplerSpec(SamplerSpec.Kind.SDE_DPM_SOLVER_PP, null, 0).describe(D)).isEqualTo("SDE-DPM-Solver++-20");
        assertThat(new SamplerSpec(SamplerSpec.Kind.SDE_DPM_SOLVER_PP, 10, 0, DpmSolverPlusPlus.Grid.UNIFORM_T).describe(D))
                .isEqualTo("SDE-DPM-Solver++(uniform t)-10");
        assertThat(new SamplerSpec(SamplerSpec.Kind.DPM_SOLVER_PP, 20, 0).describe(D)).isEqualTo("DPM-Solver++-20");
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDIM, null, 1).describe(D)).isEqualTo("DDIM(eta=1.0)-50");
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDPM, null, 0).describe(D)).isEqualTo("DDPM-1000");
    }

    @Test
    void theTrailingGridIsAtTheMultiplesOfTOverSAndHalvingKeepsEveryOtherPoint() {
        assertThat(DdimSampler.trailingGrid(1000, 4)).containsExactly(1000, 750, 500, 250);
        int[] g64 = DdimSampler.trailingGrid(1000, 64);
        int[] g32 = DdimSampler.trailingGrid(1000, 32);
        for (int i = 0; i < 32; i++) {
            assertThat(g32[i]).as("point %d", i).isEqualTo(g64[2 * i]);
        }
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDIM, 4, 0, DpmSolverPlusPlus.Grid.TRAILING).build(D).timesteps())
                .containsExactly(1000, 750, 500, 250);
    }

    @Test
    void aDistilledModelSamplesItsOwnGridAndRefusesAnotherStepCountSayingHowFarItIs() {
        SamplerSpec own = new SamplerSpec(SamplerSpec.DEFAULT_KIND, null, 0).forDistilled(4, "m");
        assertThat(own).isEqualTo(new SamplerSpec(SamplerSpec.Kind.DDIM, 4, 0, DpmSolverPlusPlus.Grid.TRAILING));
        assertThat(SamplerSpec.ddim(4).forDistilled(4, "m")).isEqualTo(own);
        assertThat(new SamplerSpec(SamplerSpec.Kind.DDIM, null, 0).forDistilled(4, "m")).isEqualTo(own);
        assertThatThrownBy(() -> SamplerSpec.dpmSolverPlusPlus(8).forDistilled(4, "m"))
                .hasMessage("m is distilled for ddim with 4 steps on the trailing grid, not dpm-solver++ with 8 steps (8 is 2x its 4); "
                        + "leave --sampler and --steps out to use its own");
        assertThatThrownBy(() -> SamplerSpec.ddim(2).forDistilled(4, "m")).hasMessageContaining("(2 is 1/2 of its 4)");
        assertThatThrownBy(() -> new SamplerSpec(SamplerSpec.Kind.DDIM, 4, 0, DpmSolverPlusPlus.Grid.LOG_SNR).forDistilled(4, "m"))
                .hasMessageContaining("not ddim with 4 steps on the log-snr grid");
    }
}

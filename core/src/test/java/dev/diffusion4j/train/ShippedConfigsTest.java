package dev.diffusion4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.diffusion.PredictionType;
import dev.diffusion4j.model.Flops;
import dev.diffusion4j.model.UNetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every configuration the repository ships under {@code configs/} merges onto the defaults and validates, the
 * way {@code train --config} and {@code eval train-classifier --config} read it: an edit that breaks one fails
 * here, not an hour into a user's run.
 */
class ShippedConfigsTest {
    static List<Path> shipped() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("configs"))) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void findsTheShippedConfigurations() throws IOException {
        assertThat(shipped()).contains(Path.of("configs", "fsdd.yaml"), Path.of("configs", "mnist-60min.yaml"),
                Path.of("configs", "audio", "c5-64x64-w256.yaml"));
    }

    /** The defaults with the file's keys over them, validated, as {@code train --config FILE} builds it. */
    static TrainConfig load(Path file) {
        ObjectNode tree = Configs.defaultsTree();
        Configs.mergeFile(tree, file);
        return Configs.toConfig(tree);
    }

    @ParameterizedTest
    @MethodSource("shipped")
    void mergesOntoTheDefaultsAndValidates(Path file) {
        assertThat(load(file).training().steps()).isPositive();
    }

    static List<Path> ablationCandidates() throws IOException {
        return shipped().stream().filter(p -> p.startsWith(Path.of("configs", "ablation"))).toList();
    }

    /**
     * The recipe's ablation compares candidates at a fixed compute: a quarter of the hour's, 700 steps x 64 images x 3
     * forward passes of the default UNet (given the candidate's class embedding, if it has one), as model.Flops counts
     * them. Each candidate trains for the whole number of steps nearest to it (so within half a step of the budget:
     * a09's 1,241 steps are 0.02% over it, a17's 2,775 are 0.02% under), so a narrower model gets more steps and a
     * wider or deeper one fewer. The base, a01, runs on to twice that and is scored at both: its checkpoint at the
     * quarter and its last at the half.
     */
    @ParameterizedTest
    @MethodSource("ablationCandidates")
    void eachAblationCandidateTrainsForTheStepsNearestToAQuarterOfTheHoursCompute(Path file) throws IOException {
        TrainConfig candidate = load(file);
        UNetConfig m = candidate.model();
        UNetConfig reference = UNetConfig.mnist().withClasses(m.classes());
        double quarter = 700.0 * 64 * 3 * Flops.forwardPerImage(reference);
        double perStep = 3.0 * candidate.training().batchSize() * Flops.forwardPerImage(m);
        String firstLine = Files.readAllLines(file).get(0);
        int steps = candidate.training().steps();
        if (file.getFileName().toString().startsWith("a01-")) {
            assertThat(firstLine).contains("half the 60-minute compute");
            assertThat(candidate.output().checkpointEvery() * 2).isEqualTo(steps);
            steps = candidate.output().checkpointEvery();
        } else {
            assertThat(firstLine).contains("a quarter of the 60-minute compute");
        }
        assertThat(Math.abs(steps * perStep - quarter)).isLessThanOrEqualTo(perStep / 2);
    }

    /**
     * configs/audio/fsdd-c5-mel.yaml is the recipe of the run docs/RESULTS.md scores as "c5 with v-prediction in the hour", whose
     * configuration (as its run directory wrote it) is docs/fsdd/c5v-60min-config.json: representation c5,
     * v-prediction, 1,450 steps. The audio section is compared with c5's file, since a run directory's copy also
     * carries the level range fitted to the data.
     */
    @Test
    void theMelRecipeIsTheMeasuredRunOnRepresentationC5WithVPrediction() throws IOException {
        TrainConfig fsdd = load(Path.of("configs", "audio", "fsdd-c5-mel.yaml"));
        assertTrainsAsTheMeasuredRun(fsdd, Path.of("docs", "fsdd", "c5v-60min-config.json"));
        assertThat(fsdd.audio()).isEqualTo(load(Path.of("configs", "audio", "c5-64x64-w256.yaml")).audio());
        assertThat(fsdd.diffusion().prediction()).isEqualTo(PredictionType.V);
        assertThat(fsdd.model().classes()).isEqualTo(10);
        assertThat(fsdd.training().steps()).isEqualTo(1450);
    }

    /**
     * configs/audio/fsdd-uncond.yaml is configs/audio/fsdd-c5-mel.yaml without classes, as its comment says: the same
     * representation, network width, diffusion and training, so that the two hours compare; and it is the
     * recipe of the run docs/RESULTS.md scores, whose configuration is docs/fsdd/uncond-60min-config.json.
     */
    @Test
    void theUnconditionalSpokenDigitRecipeIsTheConditionalOneWithoutClasses() throws IOException {
        TrainConfig fsdd = load(Path.of("configs", "audio", "fsdd-c5-mel.yaml"));
        TrainConfig uncond = load(Path.of("configs", "audio", "fsdd-uncond.yaml"));
        assertTrainsAsTheMeasuredRun(uncond, Path.of("docs", "fsdd", "uncond-60min-config.json"));
        assertThat(uncond.model()).isEqualTo(fsdd.model().withClasses(0));
        assertThat(uncond.diffusion()).isEqualTo(fsdd.diffusion());
        assertThat(uncond.audio()).isEqualTo(fsdd.audio());
        assertThat(uncond.training()).isEqualTo(fsdd.training());
        assertThat(uncond.data()).isEqualTo(fsdd.data());
    }

    /**
     * configs/audio/fsdd-uncond-3000.yaml is the unconditional hour run on to 3,000 steps, the last 1,000 decaying,
     * and nothing else changed; docs/fsdd/uncond-3000-config.json is the configuration of the run docs/RESULTS.md
     * scores (trained as 2,000 steps, then resumed with --steps 3000 --decay-steps 1000).
     */
    @Test
    void theLongerUnconditionalRecipeIsTheHourRunOnWithADecay() throws IOException {
        TrainConfig hour = load(Path.of("configs", "audio", "fsdd-uncond.yaml"));
        TrainConfig longer = load(Path.of("configs", "audio", "fsdd-uncond-3000.yaml"));
        assertTrainsAsTheMeasuredRun(longer, Path.of("docs", "fsdd", "uncond-3000-config.json"));
        assertThat(longer.training().steps()).isEqualTo(3000);
        assertThat(longer.training().decaySteps()).isEqualTo(1000);
        assertThat(longer.training()).usingRecursiveComparison().ignoringFields("steps", "decaySteps").isEqualTo(hour.training());
        assertThat(longer.model()).isEqualTo(hour.model());
        assertThat(longer.diffusion()).isEqualTo(hour.diffusion());
        assertThat(longer.audio()).isEqualTo(hour.audio());
        assertThat(longer.data()).isEqualTo(hour.data());
    }

    /**
     * The narrow hours are a 60-minute recipe (configs/mnist-60min-uncond.yaml without labels, the first recipe
     * configs/mnist-60min-w32.yaml with them) at base width 24 or 16, with v-prediction and as many steps as the
     * hour's compute allows (at most 2,800 steps x 64 images x 3 passes of the recipe's own UNet, as
     * model.Flops counts them); the json file under docs/mnist is the configuration of the run docs/RESULTS.md
     * scores. The class-conditional one is configs/mnist-60min.yaml, the recipe now (it ran as
     * configs/mnist-60min-w16v.yaml).
     */
    @ParameterizedTest
    @CsvSource({
        "mnist-60min-uncond.yaml, mnist-60min-uncond-w24v.yaml, 60min-uncond-w24v-config.json, 0, 24, 4963",
        "mnist-60min-uncond.yaml, mnist-60min-uncond-w16v.yaml, 60min-uncond-w16v-config.json, 0, 16, 11101",
        "mnist-60min-w32.yaml, mnist-60min.yaml, 60min-w16v-config.json, 10, 16, 11101"})
    void aNarrowHourIsItsRecipeAtItsWidthWithVAndTheMostStepsWithinTheBudget(String recipeFile, String narrowFile,
            String measured, int classes, int width, int steps) throws IOException {
        TrainConfig recipe = load(Path.of("configs", recipeFile));
        TrainConfig narrow = load(Path.of("configs", narrowFile));
        assertTrainsAsTheMeasuredRun(narrow, Path.of("docs", "mnist", measured));
        UNetConfig m = recipe.model();
        assertThat(m.classes()).isEqualTo(classes);
        assertThat(narrow.model()).isEqualTo(m.withBaseChannels(width));
        assertThat(narrow.diffusion().prediction()).isEqualTo(PredictionType.V);
        assertThat(narrow.diffusion()).usingRecursiveComparison().ignoringFields("prediction").isEqualTo(recipe.diffusion());
        assertThat(narrow.training()).usingRecursiveComparison().ignoringFields("steps").isEqualTo(recipe.training());
        assertThat(narrow.training().steps()).isEqualTo(steps);
        double budget = 2800.0 * 64 * 3 * Flops.forwardPerImage(m);
        double perStep = 3.0 * narrow.training().batchSize() * Flops.forwardPerImage(narrow.model());
        // the most steps within the budget: one more would exceed it
        assertThat(steps * perStep).isLessThanOrEqualTo(budget);
        assertThat((steps + 1) * perStep).isGreaterThan(budget);
    }

    /**
     * configs/mnist-60min-w32.yaml, the first 60-minute recipe, is the run docs/RESULTS.md scores as the first
     * 60-minute run (docs/mnist/60min-config.json), and the built-in model (models/mnist/config.json) is that run
     * continued: the same model, diffusion and training but for its 13,000 steps and the decay of the last 2,500.
     */
    @Test
    void theFirstRecipeIsTheMeasuredRunThatTheBuiltInModelContinues() throws IOException {
        TrainConfig first = load(Path.of("configs", "mnist-60min-w32.yaml"));
        assertTrainsAsTheMeasuredRun(first, Path.of("docs", "mnist", "60min-config.json"));
        TrainConfig builtin = Configs.read(Path.of("models", "mnist", "config.json"));
        assertThat(builtin.model()).isEqualTo(first.model());
        assertThat(builtin.diffusion()).isEqualTo(first.diffusion());
        assertThat(builtin.training()).usingRecursiveComparison().ignoringFields("steps", "decaySteps").isEqualTo(first.training());
        assertThat(builtin.training().steps()).isEqualTo(13000);
        assertThat(builtin.training().decaySteps()).isEqualTo(2500);
        assertThat(first.model().baseChannels()).isEqualTo(32);
        assertThat(first.training().steps()).isEqualTo(2800);
    }

    /** builtin:mnist-w16 is configs/mnist-60min.yaml trained to step 14,000 with the decay of the last 4,000 (models/mnist-w16). */
    @Test
    void theSmallBuiltInModelIsTheHourRecipeTrainedLonger() throws IOException {
        TrainConfig recipe = load(Path.of("configs", "mnist-60min.yaml"));
        TrainConfig small = Configs.read(Path.of("models", "mnist-w16", "config.json"));
        assertThat(small.model()).isEqualTo(recipe.model());
        assertThat(small.diffusion()).isEqualTo(recipe.diffusion());
        assertThat(small.training()).usingRecursiveComparison().ignoringFields("steps", "decaySteps").isEqualTo(recipe.training());
        assertThat(small.training().steps()).isEqualTo(14000);
        assertThat(small.training().decaySteps()).isEqualTo(4000);
        assertThat(Files.readString(Path.of("models", "mnist-w16", "state.json"))).contains("\"step\" : 14000");
    }

    /** builtin:mnist-fast is builtin:mnist-w16's network distilled to 4 DDIM steps (models/mnist-fast). */
    @Test
    void theDistilledBuiltInModelIsTheSmallOneDistilledToFourSteps() throws IOException {
        Path dir = Path.of("models", "mnist-fast");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "models/mnist-fast is not in this checkout");
        TrainConfig small = Configs.read(Path.of("models", "mnist-w16", "config.json"));
        TrainConfig fast = Configs.read(dir.resolve("config.json"));
        assertThat(fast.model()).isEqualTo(small.model());
        assertThat(fast.diffusion()).isEqualTo(small.diffusion());
        assertThat(fast.distillation().steps()).isEqualTo(4);
        assertThat(fast.distillation().teacherSteps()).isEqualTo(8);
    }

    /**
     * builtin:fsdd is the run of configs/fsdd.yaml (models/fsdd): its network, diffusion and training, on the linear
     * 128 x 64 representation that the file and the defaults give.
     */
    @Test
    void theBuiltInSpokenDigitModelIsTheRunOfTheShippedRecipe() throws IOException {
        Path dir = Path.of("models", "fsdd");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "models/fsdd is not in this checkout");
        TrainConfig recipe = load(Path.of("configs", "fsdd.yaml"));
        assertTrainsAsTheMeasuredRun(recipe, dir.resolve("config.json"));
        TrainConfig shipped = Configs.read(dir.resolve("config.json"));
        assertThat(shipped.audio().frequency()).isEqualTo(AudioConfig.Frequency.LINEAR);
        assertThat(shipped.audio().withStats(0, 1)).isEqualTo(AudioConfig.defaults().withStats(0, 1));
        assertThat(recipe.audio()).isEqualTo(AudioConfig.defaults());
        assertThat(shipped.model().classes()).isEqualTo(10);
    }

    /**
     * The shipped file builds the model, diffusion and training of the run whose configuration (as its run
     * directory wrote it) is {@code measured}. The audio section is left out: a run directory's copy also
     * carries the level range fitted to the data.
     */
    private static void assertTrainsAsTheMeasuredRun(TrainConfig shipped, Path measured) throws IOException {
        TrainConfig run = Configs.read(measured);
        assertThat(shipped.model()).isEqualTo(run.model());
        assertThat(shipped.diffusion()).isEqualTo(run.diffusion());
        assertThat(shipped.training()).isEqualTo(run.training());
    }

    /** configs/audio/fsdd-c1-2400.yaml, the earlier recipe, trains on representation c1, as its comment says. */
    @Test
    void theEarlierRecipeUsesTheAudioSettingsOfRepresentationC1() {
        TrainConfig earlier = load(Path.of("configs", "audio", "fsdd-c1-2400.yaml"));
        assertThat(earlier.audio()).isEqualTo(load(Path.of("configs", "audio", "c1-64x64.yaml")).audio());
        assertThat(earlier.diffusion().prediction()).isEqualTo(PredictionType.EPSILON);
        assertThat(earlier.training().steps()).isEqualTo(2400);
    }
}

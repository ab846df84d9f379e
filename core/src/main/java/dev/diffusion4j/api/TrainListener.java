package dev.diffusion4j.api;

import dev.diffusion4j.train.StepStats;
import java.nio.file.Path;

/**
 * What a {@link Training} reports as it runs, on the thread that called {@link Training#run()}; every method has a
 * no-op default, so a listener overrides only what it needs:
 * <pre>{@code
 * new TrainListener() {
 *     public void onLog(TrainLog log) { System.out.println(log.step() + " " + log.loss()); }
 * }
 * }</pre>
 */
public interface TrainListener {
    /** A listener that hears nothing. */
    TrainListener NONE = new TrainListener() {};

    /**
     * Once, before the first step.
     *
     * @param start what the run is about to do
     */
    default void onStart(TrainStart start) {}

    /**
     * After every optimiser step, with what it measured.
     *
     * @param stats what the step measured
     */
    default void onStep(StepStats stats) {}

    /**
     * After every {@code output.logEvery} steps, with the window's mean loss, as {@code metrics.csv} gets its row.
     *
     * @param log the row written
     */
    default void onLog(TrainLog log) {}

    /**
     * After a preview grid ({@code samples/step-N.png}) is written.
     *
     * @param step the step it was drawn at
     * @param png the grid's file
     */
    default void onPreview(long step, Path png) {}

    /**
     * After a checkpoint is written (atomically: a run stopped at any moment keeps its last one whole).
     *
     * @param step the checkpoint's step
     * @param checkpoint the checkpoint's directory
     */
    default void onCheckpoint(long step, Path checkpoint) {}

    /**
     * What the run did before it started, in words, e.g. the files an interrupted run left behind and that it removed.
     *
     * @param line the message
     */
    default void onMessage(String line) {}

    /**
     * Once, after the last step's checkpoint.
     *
     * @param result the finished run
     */
    default void onFinish(TrainResult result) {}
}

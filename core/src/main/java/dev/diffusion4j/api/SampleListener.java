package dev.diffusion4j.api;

import java.util.function.IntConsumer;

/**
 * What a {@link DiffusionModel#sample} call reports while it runs, on the calling thread; every method has a no-op
 * default. {@code SampleListener.onSamplesDone(done -> bar.stepTo(done))}, or to show the reverse process:
 * <pre>{@code
 * new SampleListener() {
 *     public boolean wantsPreviews() { return true; }
 *     public void onStep(SampleStep s) { show(s.predictedX0().image(0)); }
 * }
 * }</pre>
 */
public interface SampleListener {
    /** A listener that hears nothing. */
    SampleListener NONE = new SampleListener() {};

    /**
     * After each network evaluation of each batch.
     *
     * @param step the step just taken
     */
    default void onStep(SampleStep step) {}

    /**
     * Whether {@link #onStep} should carry the batch's x_t and predicted x_0 as pixels (a copy per step).
     *
     * @return whether to receive previews; false by default
     */
    default boolean wantsPreviews() {
        return false;
    }

    /**
     * After each batch, with the number of samples finished and the number asked for.
     *
     * @param done the samples finished so far
     * @param total the samples asked for
     */
    default void onSamplesDone(int done, int total) {}

    /**
     * A listener that hears only how many samples are finished.
     *
     * @param done what takes the number of samples finished
     * @return a listener that passes on only that number
     */
    static SampleListener onSamplesDone(IntConsumer done) {
        return new SampleListener() {
            @Override
            public void onSamplesDone(int finished, int total) {
                done.accept(finished);
            }
        };
    }
}

package dev.diffusion4j.api;

/**
 * One step of a sampling call, as {@link SampleListener#onStep} hears it: {@code step.step() + 1} of {@code step.steps()}
 * evaluations done for the batch that starts at sample {@code firstSample}.
 *
 * @param step the step index, 0 first (the noisiest)
 * @param steps the sampler's evaluations per batch
 * @param timestep the t of the noise schedule (T down to 1) the network saw at this step
 * @param firstSample the index of the batch's first sample
 * @param batchSize samples in this batch
 * @param totalSamples samples the call draws in all
 * @param sample x_t after the step, as 8-bit pixels (clipped to [-1, 1]), or null unless the listener {@link
 *     SampleListener#wantsPreviews() wants previews}
 * @param predictedX0 the network's x_0 at this step, or null likewise
 */
public record SampleStep(int step, int steps, int timestep, long firstSample, int batchSize, int totalSamples, Samples sample,
        Samples predictedX0) {}

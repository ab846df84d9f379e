package dev.diffusion4j.api;

import dev.diffusion4j.diffusion.PredictionType;
import java.util.List;

/**
 * What a model is: {@code model.info().classNames()}.
 *
 * @param name how it was opened, e.g. {@code builtin:mnist (step 13000)} or the checkpoint's path
 * @param audio whether its images are log-mel spectrograms of sound
 * @param channels image channels
 * @param height image height (mel bands for sound)
 * @param width image width (frames for sound)
 * @param classes number of class labels; 0 for an unconditional model
 * @param classNames the labels' names in label order, possibly empty
 * @param prediction what the network predicts
 * @param schedule the noise schedule's name, e.g. {@code linear} or {@code cosine}
 * @param timesteps T of its noise schedule
 * @param step optimiser steps it was trained for
 * @param parameters number of network parameters
 * @param distilledSteps for a distilled model, the DDIM steps it was distilled for (on the trailing grid); 0 otherwise
 * @param defaultGuidance the classifier-free guidance scale a request that names none gets: its configuration's
 *     {@code sampling.guidance}, {@value dev.diffusion4j.train.TrainConfig.Sampling#DEFAULT_GUIDANCE} unless that says otherwise
 * @param guidanceRange for a student distilled with guidance, the smallest and largest scale it takes (as an input, one
 *     network evaluation per step); empty for any other model
 */
public record ModelInfo(String name, boolean audio, int channels, int height, int width, int classes, List<String> classNames,
        PredictionType prediction, String schedule, int timesteps, long step, long parameters, int distilledSteps,
        double defaultGuidance, List<Double> guidanceRange) {
    /**
     * Creates a model's description, keeping an unmodifiable copy of {@code classNames}.
     *
     * @param name how it was opened
     * @param audio whether its images are log-mel spectrograms of sound
     * @param channels image channels
     * @param height image height
     * @param width image width
     * @param classes number of class labels; 0 for an unconditional model
     * @param classNames the labels' names in label order, possibly empty
     * @param prediction what the network predicts
     * @param schedule the noise schedule's name
     * @param timesteps T of its noise schedule
     * @param step optimiser steps it was trained for
     * @param parameters number of network parameters
     * @param distilledSteps the DDIM steps a distilled model was distilled for; 0 otherwise
     * @param defaultGuidance the guidance scale a request that names none gets
     * @param guidanceRange the scales a student distilled with guidance takes; empty for any other model
     */
    public ModelInfo {
        classNames = List.copyOf(classNames);
        guidanceRange = List.copyOf(guidanceRange);
    }

    /**
     * Whether the model takes the guidance scale as an input (a student distilled with guidance), so that guidance
     * costs no second network evaluation per step.
     *
     * @return whether {@link #guidanceRange} is set
     */
    public boolean takesGuidance() {
        return !guidanceRange.isEmpty();
    }

    /**
     * Whether {@code SampleRequest.Builder.label} applies.
     *
     * @return whether the model is class-conditional
     */
    public boolean conditional() {
        return classes > 0;
    }

    /**
     * Whether the model is a distilled student, which samples with DDIM on the grid it learned.
     *
     * @return whether {@link #distilledSteps} is set
     */
    public boolean distilled() {
        return distilledSteps > 0;
    }
}

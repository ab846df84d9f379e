package dev.diffusion4j.api;

import dev.diffusion4j.edit.Inpainting;
import dev.diffusion4j.sample.SamplerSpec;
import java.util.List;
import java.util.OptionalDouble;

/**
 * How to edit images with a model: {@code EditRequest.builder().label("3").strength(0.6).build()}. The same fields as a
 * {@link SampleRequest} but the count, which is the input's, and the settings of each editing method.
 *
 * @param labels the class of each output, by name or index: one for all, one per image, or none (a class-conditional
 *     model then works without a class, with its "no class" label; an unconditional model needs none)
 * @param guidance the classifier-free guidance scale when a class is given; empty: the model's own
 * @param sampler the sampler (SDEdit, inversion and the fast inpainting); inversion uses its step count with DDIM
 * @param seed the seed of every random draw
 * @param batch images per network call
 * @param strength SDEdit's strength in [0, 1]: 0 returns the input, 1 samples afresh
 * @param inpainting which inpainting method
 * @param repaint RePaint's chain, jump length and jump count
 * @param resample how many times the fast inpainting runs each step (1: no resampling)
 */
public record EditRequest(List<String> labels, OptionalDouble guidance, SamplerSpec sampler, long seed, int batch, double strength,
        InpaintMethod inpainting, Inpainting.RePaintSettings repaint, int resample) {
    /** The inpainting methods. */
    public enum InpaintMethod {
        /** RePaint: the ancestral sampler over a respaced chain with its jumps back (slow: 4,570 evaluations at the paper's settings). */
        REPAINT,
        /** The known region put back at every step of the request's few-step sampler, optionally resampled. */
        FAST
    }

    /**
     * Checks every field.
     *
     * @param labels the class of each output, possibly empty
     * @param guidance the guidance scale, ≥ 0; empty: the model's own
     * @param sampler the sampler
     * @param seed the seed
     * @param batch images per network call, ≥ 1
     * @param strength SDEdit's strength in [0, 1]
     * @param inpainting the inpainting method
     * @param repaint RePaint's settings
     * @param resample the fast inpainting's runs per step, ≥ 1
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public EditRequest {
        labels = labels == null ? List.of() : List.copyOf(labels);
        guidance = guidance == null ? OptionalDouble.empty() : guidance;
        guidance.ifPresent(w -> require(w >= 0 && Double.isFinite(w), "guidance must be ≥ 0, got " + w));
        require(sampler != null, "sampler is required");
        require(batch >= 1, "batch must be at least 1, got " + batch);
        require(strength >= 0 && strength <= 1, "strength must be in [0, 1], got " + strength);
        require(inpainting != null, "inpainting is required");
        require(repaint != null, "repaint is required");
        require(resample >= 1, "resample must be at least 1, got " + resample);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * A builder with the defaults: no class, the model's guidance, DPM-Solver++ 20, seed 0, batch 64, strength 0.6, the fast
     * inpainting without resampling, RePaint at the paper's settings when chosen.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link EditRequest}; {@link #build()} checks every field. */
    public static final class Builder {
        private List<String> labels = List.of();
        private OptionalDouble guidance = OptionalDouble.empty();
        private SamplerSpec sampler = new SamplerSpec(SamplerSpec.DEFAULT_KIND, null, 0);
        private long seed;
        private int batch = 64;
        private double strength = 0.6;
        private InpaintMethod inpainting = InpaintMethod.FAST;
        private Inpainting.RePaintSettings repaint = Inpainting.RePaintSettings.PAPER;
        private int resample = 1;

        private Builder() {}

        /**
         * Every output toward this class, by name or index.
         *
         * @param label the class
         * @return this builder
         */
        public Builder label(String label) {
            this.labels = List.of(label);
            return this;
        }

        /**
         * The class of each output.
         *
         * @param perImage one class per input image
         * @return this builder
         */
        public Builder labels(List<String> perImage) {
            this.labels = perImage;
            return this;
        }

        /**
         * The guidance scale (default: the model's, {@link ModelInfo#defaultGuidance()}).
         *
         * @param w the scale, ≥ 0
         * @return this builder
         */
        public Builder guidance(double w) {
            this.guidance = OptionalDouble.of(w);
            return this;
        }

        /**
         * The sampler (default DPM-Solver++ 20).
         *
         * @param spec the sampler
         * @return this builder
         */
        public Builder sampler(SamplerSpec spec) {
            this.sampler = spec;
            return this;
        }

        /**
         * The seed (default 0).
         *
         * @param s the seed
         * @return this builder
         */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Images per network call (default 64).
         *
         * @param b the batch
         * @return this builder
         */
        public Builder batch(int b) {
            this.batch = b;
            return this;
        }

        /**
         * SDEdit's strength (default 0.6).
         *
         * @param s in [0, 1]
         * @return this builder
         */
        public Builder strength(double s) {
            this.strength = s;
            return this;
        }

        /**
         * RePaint with these settings for inpainting.
         *
         * @param settings chain length, jump length and jump count
         * @return this builder
         */
        public Builder repaint(Inpainting.RePaintSettings settings) {
            this.inpainting = InpaintMethod.REPAINT;
            this.repaint = settings;
            return this;
        }

        /**
         * The fast inpainting, each step run {@code times} times (default: the fast inpainting, once).
         *
         * @param times at least 1
         * @return this builder
         */
        public Builder resample(int times) {
            this.inpainting = InpaintMethod.FAST;
            this.resample = times;
            return this;
        }

        /**
         * Checks and builds.
         *
         * @return the request
         */
        public EditRequest build() {
            return new EditRequest(labels, guidance, sampler, seed, batch, strength, inpainting, repaint, resample);
        }
    }
}

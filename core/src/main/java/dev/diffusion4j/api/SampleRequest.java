package dev.diffusion4j.api;

import dev.diffusion4j.sample.SamplerSpec;
import java.util.List;
import java.util.OptionalDouble;

/**
 * What to draw: {@code SampleRequest.builder().count(16).label("7").guidance(1.5).seed(0).build()}. Sample j is the
 * same for the same seed, model and sampler, whatever the batch.
 *
 * @param count how many samples
 * @param labels the class of each sample, by name (a class-conditional model trained on wav: data names its digits "zero" to "nine") or index, resolved against the model when it samples; one entry
 *     applies to every sample; empty: a class-conditional model draws all classes in turn
 * @param guidance the classifier-free guidance scale for a class-conditional model (0 unconditional, 1 plain
 *     conditional); empty: the model's own ({@link ModelInfo#defaultGuidance()}); ignored by an unconditional model
 * @param sampler which sampler and how many evaluations
 * @param seed the seed of every random draw
 * @param batch samples per network call
 */
public record SampleRequest(int count, List<String> labels, OptionalDouble guidance, SamplerSpec sampler, long seed, int batch) {
    /**
     * The guidance scale of a model whose configuration names none (its {@code sampling.guidance}); see
     * {@link dev.diffusion4j.train.TrainConfig.Sampling#DEFAULT_GUIDANCE}.
     */
    public static final double DEFAULT_GUIDANCE = dev.diffusion4j.train.TrainConfig.Sampling.DEFAULT_GUIDANCE;

    /**
     * Checks every component and keeps an unmodifiable copy of {@code labels} (null: empty).
     *
     * @param count how many samples
     * @param labels the class of each sample, by name or index
     * @param guidance the classifier-free guidance scale; empty: the model's own
     * @param sampler which sampler and how many evaluations
     * @param seed the seed of every random draw
     * @param batch samples per network call
     * @throws IllegalArgumentException naming the component that is wrong
     */
    public SampleRequest {
        require(count >= 1, "count must be at least 1, got " + count);
        require(batch >= 1, "batch must be at least 1, got " + batch);
        guidance = guidance == null ? OptionalDouble.empty() : guidance;
        guidance.ifPresent(w -> require(w >= 0 && Double.isFinite(w), "guidance must be ≥ 0, got " + w));
        require(sampler != null, "sampler is required");
        labels = labels == null ? List.of() : List.copyOf(labels);
        require(labels.size() <= 1 || labels.size() == count, "labels must be one for all samples or one per sample, got " + labels.size()
                + " for " + count);
    }

    /**
     * A builder with the defaults: 64 samples, all classes in turn, the model's guidance (1.5 unless its configuration
     * says otherwise), DPM-Solver++ 20, seed 0, batch 64.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Builds a {@link SampleRequest}; {@link #build()} checks every field and names the one that is wrong. */
    public static final class Builder {
        private int count = 64;
        private List<String> labels = List.of();
        private OptionalDouble guidance = OptionalDouble.empty();
        private SamplerSpec sampler = new SamplerSpec(SamplerSpec.DEFAULT_KIND, null, 0);
        private long seed;
        private int batch = 64;

        private Builder() {}

        /**
         * How many samples (default 64).
         *
         * @param n how many samples
         * @return this builder
         */
        public Builder count(int n) {
            this.count = n;
            return this;
        }

        /**
         * Every sample of this class, by name ("seven") or index ("7").
         *
         * @param label the class's name or index
         * @return this builder
         */
        public Builder label(String label) {
            this.labels = List.of(label);
            return this;
        }

        /**
         * The class of each sample, by name or index.
         *
         * @param perSample one class per sample, or one for all
         * @return this builder
         */
        public Builder labels(List<String> perSample) {
            this.labels = perSample;
            return this;
        }

        /**
         * The classifier-free guidance scale (default: the model's, {@link ModelInfo#defaultGuidance()}).
         *
         * @param w the guidance scale, at least 0
         * @return this builder
         */
        public Builder guidance(double w) {
            this.guidance = OptionalDouble.of(w);
            return this;
        }

        /**
         * Which sampler and how many evaluations (default DPM-Solver++ 20).
         *
         * @param spec the sampler's spec
         * @return this builder
         */
        public Builder sampler(SamplerSpec spec) {
            this.sampler = spec;
            return this;
        }

        /**
         * The seed of every random draw (default 0).
         *
         * @param s the seed
         * @return this builder
         */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Samples per network call (default 64).
         *
         * @param b samples per network call
         * @return this builder
         */
        public Builder batch(int b) {
            this.batch = b;
            return this;
        }

        /**
         * Builds the request.
         *
         * @return the request
         * @throws IllegalArgumentException naming the field that is wrong
         */
        public SampleRequest build() {
            return new SampleRequest(count, labels, guidance, sampler, seed, batch);
        }
    }
}

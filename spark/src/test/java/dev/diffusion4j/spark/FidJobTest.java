package dev.diffusion4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.diffusion4j.data.AudioConfig;
import dev.diffusion4j.data.DataSpec;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.eval.ClassifierTraining;
import dev.diffusion4j.eval.FrechetDistance;
import dev.diffusion4j.eval.ReferenceImages;
import dev.diffusion4j.io.ImageFiles;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FidJob gives the figure of {@code eval fid --samples}: the same features, the same reference, the same distance. */
class FidJobTest {
    static final int SAMPLES = 500;
    static final int REFERENCE = 600;

    @Test
    void givesTheFigureOfEvalFidSamples(@TempDir Path dir) throws Exception {
        // a small classifier, trained here on the digits inside the jar
        Path classifier = dir.resolve("classifier.safetensors");
        Djl.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = ClassifierTraining.train(Datasets.embedded().head(1000), 1, 50, 3e-3, Randomness.of(3), m, null);
            ClassifierTraining.save(c, classifier, 0, "embedded", null);
        }
        // 500 samples drawn in 3 shards by SampleJob
        Path samples = dir.resolve("samples");
        SparkTests.Run drawn = SparkTests.sampleJob(null, "--checkpoint", SampleJobTest.MODEL, "--steps", 2, "--num", SAMPLES, "--seed", 1,
                "--out", samples, "--partitions", 3, "--batch", 250);
        assertThat(drawn.code()).as(drawn.err()).isZero();

        FidJob[] job = new FidJob[1];
        SparkTests.Run r = SparkTests.fidJob(job, "--samples", samples, "--reference", "embedded", "--num", REFERENCE, "--classifier", classifier,
                "--partitions", 3);
        assertThat(r.code()).as(r.err()).isZero();
        double fid = job[0].result().fid();
        assertThat(job[0].result().samples()).isEqualTo(SAMPLES);
        assertThat(job[0].result().references()).isEqualTo(REFERENCE);
        assertThat(r.out()).contains("500 samples vs 600 test images; features in 3 tasks");

        // one machine, as eval fid --samples computes it: the classifier's summaries of the two sets and their distance
        byte[] pixels = SparkTests.joinedPixels(samples);
        double oneMachine;
        ImageDataset reference;
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTraining.Trained c = ClassifierTraining.load(classifier, m);
            reference = ReferenceImages.test(new DataSpec.Embedded(), 28, 1, AudioConfig.defaults()).head(REFERENCE);
            FrechetDistance.Moments gen = ClassifierTraining.summarise(c, new ImageDataset("samples", SAMPLES, 1, 28, 28, pixels, null),
                    ClassifierTraining.FEATURE_BATCH, m).moments();
            FrechetDistance.Moments real = ClassifierTraining.summarise(c, reference, ClassifierTraining.FEATURE_BATCH, m).moments();
            oneMachine = FrechetDistance.of(gen, real);
        }
        assertThat(fid).isPositive();
        assertThat(Math.abs(fid - oneMachine)).as("FID %s on Spark, %s on one machine", fid, oneMachine).isLessThanOrEqualTo(1e-6 * oneMachine);

        // and the command line's own report, to the digits it prints
        Path npy = dir.resolve("samples.npy");
        ImageFiles.writeNpy(npy, pixels, SAMPLES, 1, 28, 28);
        SparkTests.Run cli = SparkTests.cli("eval", "fid", "--samples", npy, "--classifier", classifier, "--data", "embedded", "--num", REFERENCE);
        assertThat(cli.code()).as(cli.err()).isZero();
        assertThat(cli.out()).contains(String.format(Locale.ROOT, "FID (diffusion4j 10-class classifier) %.3f ", fid));

        // one .npy on each side, cut into other pieces, gives the same figure
        Path referenceNpy = dir.resolve("reference.npy");
        ImageFiles.writeNpy(referenceNpy, reference.pixels(), REFERENCE, 1, 28, 28);
        SparkTests.Run files = SparkTests.fidJob(job, "--samples", npy, "--reference", referenceNpy, "--classifier", classifier, "--partitions", 2);
        assertThat(files.code()).as(files.err()).isZero();
        assertThat(files.out()).contains("vs 600 reference images; features in 3 tasks");
        assertThat(Math.abs(job[0].result().fid() - oneMachine)).isLessThanOrEqualTo(1e-6 * oneMachine);

        SparkTests.Run wrong = SparkTests.fidJob(job, "--samples", dir, "--reference", referenceNpy, "--classifier", classifier);
        assertThat(wrong.code()).isEqualTo(2);
        assertThat(wrong.err().strip()).isEqualTo("FidJob: error: " + dir + ": no index.json (not written by SampleJob, or the job has not finished)");
    }
}

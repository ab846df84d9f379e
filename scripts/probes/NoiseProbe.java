// Where do the noise clips of a deterministic sampler come from? (docs/RESULTS.md, "Why v-prediction: where the noise clips came from")
//
// Draws the starting noises x_T that a run's training grids use (training.seed, stream "sample grids"), runs DDIM
// with η = 0 from them as the grids do, and prints one line per sample: index, label, mean of x_T, roughness of the
// result (mean |difference of neighbouring frames| in [-1, 1] units; real FSDD test clips: 0.03 on average, 0.061 at
// most) and its mean level. With TRACE set it also prints, after every step, the roughness of each predicted x_0.
//
//   java -cp target/diffusion4j.jar scripts/probes/NoiseProbe.java CHECKPOINT N MODE [STEPS] [WAV_DIR]
//
// MODE: raw     x_T as the grid draws it, labels 0, 1, 2, ... in turn
//       center  the same x_T less its own mean (is the image-wide mean of x_T what decides?)
//       leak    x_T = q(x_T | x_0) for real test clips from WAV_DIR with their labels, from the same noises: the start
//               training shows the network at t = T (is the missing sqrt(ᾱ_T) x_0 what decides?)
//       real    no model: the same figures for the first N real test clips of WAV_DIR (x_T columns are 0)
// STEPS: DDIM steps (default 20, the grids' output.sampleSteps of configs/fsdd.yaml).
// NOCLIP set: DDIM without clipping the predicted x_0 to [-1, 1] (the project's DdimSampler clips it and re-derives ε).
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.AudioDatasets;
import dev.diffusion4j.data.Datasets;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.diffusion.GaussianDiffusion;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Ops;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.Denoiser;
import dev.diffusion4j.sample.Sampler;
import dev.diffusion4j.sample.SamplerSpec;
import dev.diffusion4j.sample.StepOutput;
import dev.diffusion4j.train.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

public class NoiseProbe {
    public static void main(String[] args) throws Exception {
        Checkpoint c = Checkpoint.open(Path.of(args[0]));
        int n = Integer.parseInt(args[1]);
        String mode = args[2];
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        GaussianDiffusion d = c.config().diffusion().build();
        Sampler s = new SamplerSpec(SamplerSpec.Kind.DDIM, steps, 0).build(d);
        int[] ts = s.timesteps();
        int h = c.config().model().height();
        int w = c.config().model().width();
        int k = c.config().model().classes();
        Djl.engine();
        try (NDManager m = NDManager.newBaseManager()) {
            if (mode.equals("real")) {
                ImageDataset test = testClips(c, args);
                int count = Math.min(n, test.count());
                NDArray x0 = test.batch(m, IntStream.range(0, count).toArray(), null);
                float[] rough = roughness(x0);
                float[] level = perItemMean(x0);
                for (int i = 0; i < count; i++) {
                    System.out.printf(Locale.ROOT, "%d %d %.5f %.4f %.4f%n", i, test.labels()[i], 0.0, rough[i], level[i]);
                }
                return;
            }
            Denoiser net = Denoiser.of(c.model(m, true), new ParameterStore(m, false));
            Randomness rng = Randomness.of(c.config().training().seed()).derive("sample grids");
            NDArray x = rng.derive("x_T").normalPerItem(m, new Shape(n, 1, h, w), 0);
            float[] meanXT = perItemMean(x);
            NDArray labels = k == 0 ? null : m.create(LongStream.range(0, n).map(i -> i % k).toArray());
            switch (mode) {
                case "raw" -> { }
                case "center" -> x = x.sub(x.reshape(n, -1).mean(new int[] {1}, true).reshape(n, 1, 1, 1));
                case "leak" -> {
                    ImageDataset test = testClips(c, args);
                    int[] idx = IntStream.range(0, n).map(i -> (i * 37) % test.count()).toArray();
                    labels = m.create(Arrays.stream(idx).mapToLong(i -> test.labels()[i]).toArray());
                    x = d.qSample(test.batch(m, idx, null), m.full(new Shape(n), ts[0], DataType.INT64), x);
                }
                default -> throw new IllegalArgumentException("MODE is raw, center, leak or real, got " + mode);
            }
            NDArray predX0 = null;
            for (int i = 0; i < ts.length; i++) {
                try (NDManager step = m.newSubManager()) { // what a step makes is freed with it, but for x and x̂_0
                    x.attach(step);
                    if (predX0 != null) {
                        predX0.attach(step);
                    }
                    NDArray t = step.full(new Shape(n), ts[i], DataType.INT64);
                    NDArray out = net.apply(x, t, labels);
                    if (System.getenv("NOCLIP") != null) { // x_{t-1} = sqrt(ᾱ_prev) x̂_0 + sqrt(1 - ᾱ_prev) ε̂, nothing clipped
                        double abPrev = d.schedule().alphaBar(i + 1 < ts.length ? ts[i + 1] : 0);
                        predX0 = d.predictX0(out, x, t);
                        NDArray eps = d.predictEpsFromX0(x, t, predX0);
                        x = Ops.mul(predX0, Math.sqrt(abPrev)).add(Ops.mul(eps, Math.sqrt(1 - abPrev)));
                    } else {
                        StepOutput o = s.step(out, i, x, null, predX0);
                        x = o.prevSample();
                        predX0 = o.predX0();
                    }
                    if (System.getenv("TRACE") != null) {
                        StringBuilder line = new StringBuilder("trace " + i + " " + ts[i]);
                        for (float r : roughness(predX0.clip(-1, 1))) {
                            line.append(String.format(Locale.ROOT, " %.4f", r));
                        }
                        System.out.println(line);
                    }
                    x.attach(m);
                    predX0.attach(m);
                }
            }
            NDArray x0 = x.clip(-1, 1);
            float[] rough = roughness(x0);
            float[] level = perItemMean(x0);
            for (int i = 0; i < n; i++) {
                System.out.printf(Locale.ROOT, "%d %d %.5f %.4f %.4f%n", i, labels == null ? -1 : labels.getLong(i), meanXT[i], rough[i], level[i]);
            }
        }
    }

    /** The test split of WAV_DIR (args[4]) in the checkpoint's representation, for the real and leak modes. */
    static ImageDataset testClips(Checkpoint c, String[] args) throws Exception {
        return AudioDatasets.load(Path.of(args[4]), Datasets.Split.TEST, c.config().audio()).images();
    }

    /** Mean |x[..., f + 1] - x[..., f]| of each image: speckle noise is rough, speech and silence are not. */
    static float[] roughness(NDArray x) {
        long n = x.getShape().get(0);
        return x.get(":, :, :, 1:").sub(x.get(":, :, :, :-1")).abs().reshape(n, -1).mean(new int[] {1}).toFloatArray();
    }

    static float[] perItemMean(NDArray x) {
        return x.reshape(x.getShape().get(0), -1).mean(new int[] {1}).toFloatArray();
    }
}

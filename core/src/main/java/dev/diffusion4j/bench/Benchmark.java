package dev.diffusion4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.diffusion4j.data.ImageDataset;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.NativeMemory;
import dev.diffusion4j.engine.OneDnn;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.engine.SafeConv;
import dev.diffusion4j.model.Flops;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.model.UNetConfig;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Speed against the machine's own limit, measured in one process: the backend's peak (the better of
 * a 1024³ float32 matmul and a compute-bound 3x3 convolution, measured first and again last, the
 * best of the four counting), then a training step and sampling
 * forward passes of a model, each as a FLOP rate and its ratio to that peak, and resident memory
 * before and after a run of training steps. Every time is the median of {@code repeats} runs after
 * {@code warmup} runs.
 *
 * @param config the model and training settings (batch size included)
 * @param sampleBatches batch sizes of the sampling forward passes
 * @param warmup runs discarded before timing
 * @param repeats timed runs per figure
 * @param memorySteps training steps between the two memory readings
 */
public record Benchmark(TrainConfig config, int[] sampleBatches, int warmup, int repeats, int memorySteps) {

    /** One measured figure. */
    public record Figure(String key, double value, String unit, String label) {}

    /** Runs everything, reporting each figure as soon as it is measured. */
    public List<Figure> run(Consumer<Figure> report) {
        Djl.engine();
        List<Figure> out = new ArrayList<>();
        Consumer<Figure> add = f -> {
            out.add(f);
            report.accept(f);
        };
        add.accept(new Figure("threads", JniUtils.getNumThreads(), "", "intra-op threads"));
        double[] first = peak(add, "");
        // the machine is shared and noisy: the peak is measured again at the end and the higher one counts
        double firstPeak = Math.max(first[0], first[1]);

        long fwd = Flops.forwardPerImage(config.model());
        add.accept(new Figure("model_forward_mflop_per_image", fwd / 1e6, "MFLOP", "forward pass, one image (analytic)"));
        int batch = config.training().batchSize();
        List<Figure> ratios = new ArrayList<>();
        try (Trainer tr = Trainer.fresh(config, randomImages(config, Math.max(batch, 256)))) {
            double ms = medianMs(tr::step);
            double gflops = 3.0 * fwd * batch / (ms * 1e6);
            add.accept(new Figure("train_step_ms", ms, "ms", "training step, batch " + batch));
            add.accept(new Figure("train_images_per_sec", batch * 1000 / ms, "img/s", "training throughput"));
            add.accept(new Figure("train_gflops", gflops, "GFLOP/s", "training step (backward counted as 2x forward)"));
            ratios.add(new Figure("train_ratio_to_peak", gflops, "", "training step / peak"));

            UNet model = new UNet(config.model());
            try (NDManager m = NDManager.newBaseManager()) {
                model.initializeParameters(m, Randomness.of(0));
                ParameterStore ps = new ParameterStore(m, false);
                for (int b : sampleBatches) {
                    double sms = medianMs(samplingPass(model, ps, m, b));
                    double sg = (double) fwd * b / (sms * 1e6);
                    add.accept(new Figure("sample_step_ms_b" + b, sms, "ms", "sampling step (forward, no gradient), batch " + b));
                    add.accept(new Figure("sample_images_per_sec_b" + b, b * 1000 / sms, "img/s", "sampling step throughput, batch " + b));
                    add.accept(new Figure("sample_gflops_b" + b, sg, "GFLOP/s", "sampling step, batch " + b));
                    ratios.add(new Figure("sample_ratio_to_peak_b" + b, sg, "", "sampling step / peak, batch " + b));
                }
            }
            long before = NativeMemory.residentBytes();
            add.accept(new Figure("rss_after_warmup_mb", before / 1048576.0, "MiB", "resident memory after warm-up"));
            memoryBreakdown(add, "_after_warmup");
            if (memorySteps > 0) {
                // resident memory is read after every step; each tenth of the run reports its highest
                // reading, so that a reading that happens to follow a trim does not flatter the figure
                long start = System.nanoTime();
                int tenths = Math.min(10, memorySteps);
                long[] highest = new long[tenths];
                for (int i = 1; i <= memorySteps; i++) {
                    tr.step();
                    int w = (int) ((long) (i - 1) * tenths / memorySteps);
                    highest[w] = Math.max(highest[w], NativeMemory.residentBytes());
                    if (i * (long) tenths % memorySteps == 0) {
                        add.accept(new Figure("rss_max_mb_to_step_" + i, highest[w] / 1048576.0, "MiB",
                                "highest resident memory in steps " + ((long) w * memorySteps / tenths + 1) + "-" + i));
                    }
                }
                long after = NativeMemory.residentBytes();
                add.accept(new Figure("rss_after_steps_mb", after / 1048576.0, "MiB",
                        "resident memory after " + memorySteps + " further training steps (" + fmt((System.nanoTime() - start) / 1e9) + " s)"));
                memoryBreakdown(add, "_after_steps");
                add.accept(new Figure("rss_growth_from_warmup_percent", 100.0 * (after - before) / before, "%",
                        "resident memory after the steps vs after warm-up"));
                add.accept(new Figure("rss_growth_percent", 100.0 * (highest[tenths - 1] - highest[0]) / highest[0], "%",
                        "highest resident memory in the last tenth of the steps vs in the first tenth"));
            }
        }
        double[] last = peak(add, "_end");
        double peak = Math.max(firstPeak, Math.max(last[0], last[1]));
        add.accept(new Figure("peak_gflops", peak, "GFLOP/s", "backend peak under this process's instruction set (the best of the four peak figures)"));
        double uncapped = peak;
        if (OneDnn.capped()) {
            // the cap keeps oneDNN from the machine's full instruction set: measure what it would reach without it,
            // in a child JVM (oneDNN reads the cap once per process), and count the ratios against that
            double child = childPeak(OneDnn.NO_CAP);
            add.accept(new Figure("peak_uncapped_gflops", child, "GFLOP/s", "backend peak with oneDNN's own choice of instruction set (child JVM)"));
            uncapped = Math.max(peak, child);
        } else {
            // and the other way round: what the AVX2 cap of earlier versions would cost on this machine, for comparison only
            add.accept(new Figure("peak_capped_avx2_gflops", childPeak("AVX2"), "GFLOP/s",
                    "backend peak with oneDNN capped at AVX2 (child JVM; not used for the ratios)"));
        }
        for (Figure f : ratios) {
            add.accept(new Figure(f.key(), f.value() / uncapped, "", f.label() + (uncapped > peak ? " (uncapped peak)" : "")));
        }
        return out;
    }

    /**
     * The entry point of the child JVM that measures the peak under the other instruction-set setting
     * (its {@code diffusion4j.onednn.isa}): the better of the matmul and convolution peaks, measured
     * twice, printed as {@code peak_gflops X}.
     */
    public static void main(String[] args) {
        Benchmark b = new Benchmark(TrainConfig.defaults(), new int[0], 3, 10, 0);
        Djl.engine();
        double[] first = b.peak(f -> { }, "");
        double[] last = b.peak(f -> { }, "_end");
        System.out.println(OneDnn.limitIsa());
        System.out.printf(java.util.Locale.ROOT, "peak_gflops %.3f%n", Math.max(Math.max(first[0], first[1]), Math.max(last[0], last[1])));
    }

    /** The peak in a child JVM whose oneDNN runs under {@code isa} ({@link OneDnn#NO_CAP} for none), NaN if it fails. */
    private static double childPeak(String isa) {
        try {
            String javaBin = java.nio.file.Paths.get(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(javaBin, "-Ddiffusion4j.onednn.isa=" + isa, "-cp", System.getProperty("java.class.path"),
                    Benchmark.class.getName()).redirectErrorStream(true);
            pb.environment().remove("ONEDNN_MAX_CPU_ISA");
            pb.environment().remove("DNNL_MAX_CPU_ISA");
            Process p = pb.start();
            String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                return Double.NaN;
            }
            for (String line : text.split("\n")) {
                if (line.startsWith("peak_gflops ")) {
                    return Double.parseDouble(line.substring("peak_gflops ".length()).trim());
                }
            }
            return Double.NaN;
        } catch (java.io.IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** Where resident memory sits: the native allocator's counters and the Java heap. */
    private static void memoryBreakdown(Consumer<Figure> add, String suffix) {
        NativeMemory.AllocatorStats a = NativeMemory.allocatorStats();
        if (a != null) {
            add.accept(new Figure("native_in_use_mb" + suffix, a.inUse() / 1048576.0, "MiB", "native memory allocated and not freed (glibc mallinfo2)"));
            add.accept(new Figure("native_free_mb" + suffix, a.free() / 1048576.0, "MiB", "native memory freed but kept in the heap for reuse"));
        }
        java.lang.management.MemoryUsage h = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        add.accept(new Figure("java_heap_committed_mb" + suffix, h.getCommitted() / 1048576.0, "MiB", "Java heap committed"));
    }

    /** Timed runs of each peak kernel: they take milliseconds, so many more than the model's figures. */
    static final int PEAK_RUNS = 41;

    private double[] peak(Consumer<Figure> add, String suffix) {
        try (NDManager m = NDManager.newBaseManager()) {
            Randomness rng = Randomness.of(1).derive("peak inputs");
            NDArray a = rng.step(0).normal(m, new Shape(1024, 1024));
            NDArray b = rng.step(1).normal(m, new Shape(1024, 1024));
            double ms = medianMs(PEAK_RUNS, () -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray c = a.matMul(b);
                    c.attach(s);
                    c.toFloatArray(); // forces completion
                }
            });
            double matmul = 2.0 * 1024 * 1024 * 1024 / (ms * 1e6);
            add.accept(new Figure("peak_matmul_gflops" + suffix, matmul, "GFLOP/s", "float32 matmul 1024x1024x1024 (" + fmt(ms) + " ms)"));
            NDArray x = rng.step(2).normal(m, new Shape(64, 64, 14, 14));
            NDArray w = rng.step(3).normal(m, new Shape(64, 64, 3, 3));
            NDArray bias = m.zeros(new Shape(64));
            double cms = medianMs(PEAK_RUNS, () -> {
                try (NDManager s = m.newSubManager()) {
                    NDArray y = SafeConv.conv2d(x, w, bias, new Shape(1, 1), new Shape(1, 1));
                    y.attach(s);
                    y.get("0, 0, 0, 0").toFloatArray();
                }
            });
            double conv = Flops.conv(64, 64, 3, 64L * 14 * 14) / (cms * 1e6);
            add.accept(new Figure("peak_conv_gflops" + suffix, conv, "GFLOP/s", "3x3 conv 64->64, 14x14, batch 64 (" + fmt(cms) + " ms)"));
            return new double[] {matmul, conv};
        }
    }

    /** The median over {@code repeats} timed runs after {@code warmup} discarded ones, in ms. */
    double medianMs(Runnable r) {
        return medianMs(repeats, r);
    }

    double medianMs(int repeats, Runnable r) {
        for (int i = 0; i < warmup; i++) {
            r.run();
        }
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return repeats % 2 == 1 ? t[repeats / 2] : (t[repeats / 2 - 1] + t[repeats / 2]) / 2;
    }

    /**
     * The forward pass of one sampling step at batch {@code batch} (timestep 500, no gradient), its inputs drawn once
     * into {@code m}; each run gets its own sub-manager (results land in the manager of their first operand) and reads
     * one value back, so that the pass has finished when it returns.
     */
    public static Runnable samplingPass(UNet model, ParameterStore ps, NDManager m, int batch) {
        UNetConfig c = model.config();
        NDArray x = Randomness.of(1).derive("sampling inputs").normal(m, new Shape(batch, c.channels(), c.height(), c.width()));
        NDArray t = m.full(new Shape(batch), 500, DataType.INT64);
        return () -> {
            try (NDManager s = m.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(s);
                NDArray ts = t.duplicate();
                ts.attach(s);
                model.forward(ps, xs, ts, false).get("0, 0, 0, 0").toFloatArray();
            }
        };
    }

    /**
     * {@code n} random training images of the configured shape, with random labels for a class-conditional model: a
     * training step costs on them what it costs on real data.
     */
    public static ImageDataset randomImages(TrainConfig c, int n) {
        int h = c.model().height();
        int w = c.model().width();
        byte[] px = new byte[n * c.model().channels() * h * w];
        Randomness.of(1).derive("training images").stream().nextBytes(px);
        // a class-conditional model trains on labels: random ones cost what real ones do
        int[] labels = c.model().conditional() ? Randomness.of(1).derive("training labels").stream().ints(n, 0, c.model().classes()).toArray() : null;
        return new ImageDataset("random images", n, c.model().channels(), h, w, px, labels);
    }

    /** The figures as a JSON-ready map: key to value, unit and what it is. */
    public static Map<String, Object> toMap(List<Figure> figures) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Figure f : figures) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("value", f.value());
            v.put("unit", f.unit());
            v.put("what", f.label());
            m.put(f.key(), v);
        }
        return m;
    }

    static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.1f", v);
    }
}

package dev.diffusion4j.cli;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diffusion4j.bench.Benchmark;
import dev.diffusion4j.cli.SharedOptions.BatchOption;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.NativeMemory;
import dev.diffusion4j.engine.OneDnn;
import dev.diffusion4j.engine.TorchKernels;
import dev.diffusion4j.io.AtomicFiles;
import dev.diffusion4j.train.Configs;
import dev.diffusion4j.train.TrainConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code diffusion4j bench}: speed as a fraction of what the backend reaches on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure, in one process, the backend's peak GFLOP/s, then a training step and sampling steps of a model "
                + "(ms, images/s, GFLOP/s and the ratio to the peak), and resident memory over a run of training steps. "
                + "Medians after warm-up; ratios are printed last.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", defaultValue = "default-mnist",
            description = "default-mnist or a training config file (YAML/JSON) whose model and batch size to use. Default: ${DEFAULT-VALUE}.")
    private String model;

    /** The training batch size (default: the config's). */
    @Mixin
    private BatchOption batch = new BatchOption(null);

    @Option(names = "--threads", description = "Intra-op threads (default: the engine's choice).")
    private Integer threads;

    @Option(names = "--sample-batches", split = ",", defaultValue = "1,16,256", description = "Default: ${DEFAULT-VALUE}.")
    private int[] sampleBatches;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs before each figure. Default: ${DEFAULT-VALUE}.")
    private int warmup;

    @Option(names = "--repeats", defaultValue = "10", description = "Timed runs per figure (the median is reported). Default: ${DEFAULT-VALUE}.")
    private int repeats;

    @Option(names = "--memory-steps", defaultValue = "1000",
            description = "Training steps between the two memory readings (0: skip). Default: ${DEFAULT-VALUE}.")
    private int memorySteps;

    @Option(names = "--json", description = "Also write the figures to this JSON file.")
    private Path json;


    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        if (warmup < 0 || repeats < 1 || memorySteps < 0 || (threads != null && threads < 1) || (batch.batch != null && batch.batch < 1)) {
            throw new UserInputException("--warmup and --memory-steps must be ≥ 0, --repeats, --threads and --batch ≥ 1");
        }
        for (int b : sampleBatches) {
            if (b < 1) {
                throw new UserInputException("--sample-batches must be positive, got " + b);
            }
        }
        if (json != null) {
            Outputs.requireWritableParent(json);
        }
        ObjectNode tree = Configs.defaultsTree();
        if (!model.equals("default-mnist")) {
            Configs.mergeFile(tree, Path.of(model));
        }
        if (batch.batch != null) {
            Configs.set(tree, "training.batchSize", batch.batch);
        }
        Configs.set(tree, "data", "embedded"); // the benchmark makes its own random images
        TrainConfig config = Configs.toConfig(tree);
        Djl.engine();
        if (threads != null) {
            JniUtils.setNumThreads(threads);
        }
        pw.println(NativeMemory.status());
        pw.println(TorchKernels.status());
        pw.println(OneDnn.limitIsa());
        pw.flush();
        List<Benchmark.Figure> figures = new Benchmark(config, sampleBatches, warmup, repeats, memorySteps).run(f -> {
            pw.printf(Locale.ROOT, "%-34s %12.3f %-8s %s%n", f.key(), f.value(), f.unit(), f.label());
            pw.flush();
        });
        if (json != null) {
            var map = new java.util.LinkedHashMap<String, Object>();
            map.put("allocator", NativeMemory.status());
            map.put("kernels", TorchKernels.status());
            map.put("model", model);
            map.put("figures", Benchmark.toMap(figures));
            String text = Configs.JSON.writeValueAsString(map);
            AtomicFiles.write(json, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            pw.println("wrote " + json);
        }
        return 0;
    }
}

// Where does a pass of the default UNet spend its time, operator by operator? (the per-op profile on
// diffusion4j's side, to set beside benchmarks/pytorch/bench.py --profile on PyTorch's)
//
// For each mode among the arguments (train = a training step at batch 64 as `bench` times it; forward16, forward256 =
// a forward pass without autograd at that batch), runs WARMUP passes (default 3), then PASSES passes (default 5) under
// libtorch's profiler (DJL's JniUtils.startProfile), reads the trace it writes and prints each operator's self time
// (its time less that of the operators it called) in milliseconds per pass, largest first, and the sum. The profiler
// adds its own cost per call, so compare shares and the large entries, not the sum with `bench`'s times.
//
//   mvn -q package -DskipTests
// PROFILE=0 times the same passes without the profiler instead (median of PASSES, as `bench` times them).
//
//   [PASSES=5] [WARMUP=3] [TOP=25] [PROFILE=0] java -cp target/diffusion4j.jar scripts/probes/ProfileProbe.java train forward16 forward256
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.diffusion4j.bench.Benchmark;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.Randomness;
import dev.diffusion4j.model.UNet;
import dev.diffusion4j.train.TrainConfig;
import dev.diffusion4j.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class ProfileProbe {
    /** One operator call from the trace: name, thread, start and duration in microseconds. */
    record Call(String name, String tid, double ts, double dur) {}

    public static void main(String[] args) throws Exception {
        Djl.engine();
        int warmup = Integer.parseInt(System.getenv().getOrDefault("WARMUP", "3"));
        int passes = Integer.parseInt(System.getenv().getOrDefault("PASSES", "5"));
        int top = Integer.parseInt(System.getenv().getOrDefault("TOP", "25"));
        TrainConfig config = TrainConfig.defaults();
        for (String mode : args) {
            Runnable pass = mode.equals("train") ? trainStep(config) : forward(config, Integer.parseInt(mode.replace("forward", "")));
            for (int i = 0; i < warmup; i++) {
                pass.run();
            }
            if (System.getenv().getOrDefault("PROFILE", "1").equals("0")) {
                double[] ms = new double[passes];
                for (int i = 0; i < passes; i++) {
                    long s = System.nanoTime();
                    pass.run();
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
                java.util.Arrays.sort(ms);
                System.out.printf("%s: median %.1f ms of %d passes (no profiler)%n", mode, ms[passes / 2], passes);
                continue;
            }
            Path trace = Files.createTempFile("profile-" + mode, ".json");
            JniUtils.startProfile(false, false, false);
            long start = System.nanoTime();
            for (int i = 0; i < passes; i++) {
                pass.run();
            }
            double wallMs = (System.nanoTime() - start) / 1e6 / passes;
            JniUtils.stopProfile(trace.toString());
            report(mode, selfTimes(trace), passes, wallMs, top);
        }
    }

    static Runnable trainStep(TrainConfig c) {
        return Trainer.fresh(c, Benchmark.randomImages(c, 256))::step;
    }

    static Runnable forward(TrainConfig c, int batch) {
        UNet model = new UNet(c.model());
        NDManager m = NDManager.newBaseManager();
        model.initializeParameters(m, Randomness.of(0));
        return Benchmark.samplingPass(model, new ParameterStore(m, false), m, batch);
    }

    /** Self time per operator name in microseconds: each call's duration less its direct children's, per thread. */
    static Map<String, Double> selfTimes(Path trace) throws Exception {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        Map<String, List<Call>> byThread = new HashMap<>();
        for (JsonNode e : events) {
            if (e.path("ph").asText().equals("X")) {
                Call call = new Call(e.path("name").asText(), e.path("tid").asText(), e.path("ts").asDouble(), e.path("dur").asDouble());
                byThread.computeIfAbsent(call.tid(), k -> new ArrayList<>()).add(call);
            }
        }
        Map<String, Double> self = new HashMap<>();
        for (List<Call> calls : byThread.values()) {
            calls.sort(Comparator.comparingDouble(Call::ts).thenComparing(Comparator.comparingDouble(Call::dur).reversed()));
            Deque<double[]> open = new ArrayDeque<>(); // {end, index}
            double[] childTime = new double[calls.size()];
            for (int i = 0; i < calls.size(); i++) {
                Call c = calls.get(i);
                while (!open.isEmpty() && open.peek()[0] <= c.ts()) {
                    open.pop();
                }
                if (!open.isEmpty()) {
                    childTime[(int) open.peek()[1]] += c.dur();
                }
                open.push(new double[] {c.ts() + c.dur(), i});
            }
            for (int i = 0; i < calls.size(); i++) {
                self.merge(calls.get(i).name(), calls.get(i).dur() - childTime[i], Double::sum);
            }
        }
        return self;
    }

    static void report(String mode, Map<String, Double> selfUs, int passes, double wallMs, int top) {
        double total = selfUs.values().stream().mapToDouble(Double::doubleValue).sum() / 1000 / passes;
        System.out.printf("%n== %s: %.1f ms per pass under the profiler (wall), %.1f ms of operator self time%n", mode, wallMs, total);
        selfUs.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf("%10.2f ms  %5.1f%%  %s%n", e.getValue() / 1000 / passes, 100 * e.getValue() / 1000 / passes / total, e.getKey()));
    }
}

// How long does each convolution of the default UNet's training step take on its own, forward and backward? (issue
// The per-shape half of "where the training step loses to PyTorch"; benchmarks/pytorch/conv_time.py is the
// same measurement in PyTorch.)
//
// For each problem in SHAPES_FILE (oneDNN's verbose notation, e.g. mb64_ic64oc64_ih28oh28kh3sh1dh0ph1, one per line;
// unet-conv-shapes-b64.txt holds the 22 of a training step at batch 64), times in float32 a forward pass without
// autograd, and a forward and backward pass under autograd (the loss sum(y * r) for a fixed random r, gradients for
// input and weight, the input's only where the UNet has one: not for 1 input channel), WARMUP times (default 3), then
// the median of RUNS (default 20), milliseconds. Straight to DJL's Conv2d, as PyTorch's side calls F.conv2d, so the
// two run the same problem (engine.SafeConv would pad the 32 -> 1 output convolution to 16 filters).
//
//   mvn -q package -DskipTests
//   [RUNS=20] [WARMUP=3] java -cp target/diffusion4j.jar scripts/probes/ConvTimeProbe.java scripts/probes/unet-conv-shapes-b64.txt
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import dev.diffusion4j.engine.ConvProblem;
import dev.diffusion4j.engine.Djl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

public class ConvTimeProbe {
    public static void main(String[] args) throws Exception {
        Djl.engine();
        int runs = Integer.parseInt(System.getenv().getOrDefault("RUNS", "20"));
        int warmup = Integer.parseInt(System.getenv().getOrDefault("WARMUP", "3"));
        double sumF = 0, sumFB = 0;
        System.out.printf("%-55s %10s %10s%n", "problem", "fwd ms", "fwd+bwd ms");
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            Optional<ConvProblem> p = ConvProblem.find(line);
            if (p.isEmpty()) {
                continue;
            }
            double[] t = time(p.get(), warmup, runs);
            sumF += t[0];
            sumFB += t[1];
            System.out.printf("%-55s %10.3f %10.3f%n", p.get().notation(), t[0], t[1]);
        }
        System.out.printf("%-55s %10.3f %10.3f%n", "sum", sumF, sumFB);
    }

    /** Median milliseconds of the forward pass alone and of forward with backward. */
    private static double[] time(ConvProblem p, int warmup, int runs) {
        Shape stride = p.strideShape(), pad = p.padShape();
        try (NDManager m = Engine.getInstance().newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            NDArray x = m.randomNormal(p.inputShape());
            NDArray w = m.randomNormal(p.weightShape()).mul(0.1f);
            NDArray b = m.zeros(new Shape(p.outChannels()));
            NDArray r = m.randomNormal(Conv2d.conv2d(x, w, b, stride, pad).singletonOrThrow().getShape());
            double[] f = new double[runs];
            double[] fb = new double[runs];
            for (int i = -warmup; i < runs; i++) {
                try (NDManager sm = m.newSubManager()) {
                    long s = System.nanoTime();
                    Conv2d.conv2d(x, w, b, stride, pad).singletonOrThrow().attach(sm);
                    if (i >= 0) {
                        f[i] = (System.nanoTime() - s) / 1e6;
                    }
                }
                try (NDManager sm = m.newSubManager()) {
                    NDArray xs = x.duplicate();
                    xs.attach(sm);
                    xs.setRequiresGradient(p.inChannels() > 1);
                    NDArray ws = w.duplicate();
                    ws.attach(sm);
                    ws.setRequiresGradient(true);
                    long s = System.nanoTime();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = Conv2d.conv2d(xs, ws, b, stride, pad).singletonOrThrow();
                        gc.backward(y.mul(r).sum());
                    }
                    if (i >= 0) {
                        fb[i] = (System.nanoTime() - s) / 1e6;
                    }
                }
            }
            return new double[] {median(f), median(fb)};
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

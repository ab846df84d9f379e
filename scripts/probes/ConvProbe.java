// Which convolution shapes does oneDNN get wrong on this CPU? (docs/ENGINE.md, "Input-channel tails")
//
// For each problem in SHAPES_FILE (oneDNN's verbose notation, e.g. mb2_ic24oc16_ih8oh8kh3sh1dh0ph1; one per line,
// anything around it ignored, so the lines of an ONEDNN_VERBOSE=1 log work as they are), runs a float32 convolution
// forward and backward RUNS times (default 5) and compares output, input gradient and weight gradient with float64
// autograd (float64 convolutions do not go through oneDNN), printing the runs off by more than 1e-4 of the largest
// reference value and the worst error of each. Through engine.SafeConv by default; RAW=1 calls DJL's Conv2d directly,
// which shows the faults SafeConv pads around. The instruction set is oneDNN's own choice unless ONEDNN_MAX_CPU_ISA
// says otherwise (e.g. AVX2).
//
//   mvn -q package -DskipTests
//   [RAW=1] [RUNS=3] [ONEDNN_MAX_CPU_ISA=AVX2] java -cp target/diffusion4j.jar scripts/probes/ConvProbe.java scripts/probes/conv-shapes.txt
//
// conv-shapes.txt holds the 131 problems of the bisection: every convolution of the test UNets' gradient checks and
// sweeps over input channels, filters and strides.
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import dev.diffusion4j.engine.ConvProblem;
import dev.diffusion4j.engine.Djl;
import dev.diffusion4j.engine.SafeConv;
import java.nio.file.Files;
import java.nio.file.Path;

public class ConvProbe {
    /** Output, input gradient and weight gradient of one convolution, in float64. */
    record Result(double[] y, double[] dx, double[] dw) {}

    public static void main(String[] args) throws Exception {
        Djl.engine();
        boolean raw = System.getenv("RAW") != null;
        int runs = Integer.parseInt(System.getenv().getOrDefault("RUNS", "5"));
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            ConvProblem.find(line).ifPresent(p -> probe(p, raw, runs));
        }
    }

    private static void probe(ConvProblem p, boolean raw, int runs) {
        Shape stride = p.strideShape(), pad = p.padShape();
        try (NDManager m = Engine.getInstance().newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            NDArray x = m.randomNormal(p.inputShape());
            NDArray w = m.randomNormal(p.weightShape()).mul(0.2f);
            NDArray b = m.randomNormal(new Shape(p.outChannels()));
            // the upstream gradient has the output's shape: take it from a forward pass without autograd
            NDArray r = m.randomNormal(Conv2d.conv2d(x, w, b, stride, pad).singletonOrThrow().getShape());
            Result ref = convolve(x.toType(DataType.FLOAT64, true), w.toType(DataType.FLOAT64, true), b, r, stride, pad, true);
            int bad = 0;
            double[] worst = new double[3];
            for (int run = 0; run < runs; run++) {
                Result got = convolve(x, w, b, r, stride, pad, raw);
                double[] e = {relErr(got.y(), ref.y()), relErr(got.dx(), ref.dx()), relErr(got.dw(), ref.dw())};
                boolean wrong = false;
                for (int i = 0; i < 3; i++) {
                    worst[i] = Math.max(worst[i], e[i]);
                    wrong |= !(e[i] <= 1e-4);
                }
                bad += wrong ? 1 : 0;
            }
            System.out.printf("%-55s %s bad %d/%d  y %.1e  dx %.1e  dw %.1e%n", p.notation(), raw ? "raw " : "safe", bad, runs,
                    worst[0], worst[1], worst[2]);
        }
    }

    /** One forward and backward pass, through SafeConv or (raw) straight to DJL's Conv2d. */
    private static Result convolve(NDArray x0, NDArray w0, NDArray b0, NDArray r, Shape stride, Shape pad, boolean raw) {
        try (NDManager sm = x0.getManager().newSubManager()) {
            NDArray x = x0.duplicate();
            x.attach(sm);
            x.setRequiresGradient(true);
            NDArray w = w0.duplicate();
            w.attach(sm);
            w.setRequiresGradient(true);
            NDArray b = b0.toType(x0.getDataType(), true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = raw ? Conv2d.conv2d(x, w, b, stride, pad).singletonOrThrow() : SafeConv.conv2d(x, w, b, stride, pad);
                gc.backward(y.mul(r.toType(y.getDataType(), true)).sum());
            }
            return new Result(doubles(y), doubles(x.getGradient()), doubles(w.getGradient()));
        }
    }

    private static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, true).toDoubleArray();
    }

    /** The largest error relative to the largest reference value (NaN counts as infinitely wrong). */
    private static double relErr(double[] got, double[] want) {
        double scale = 1e-6;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            double e = Math.abs(got[i] - want[i]) / scale;
            worst = e <= worst ? worst : Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
        }
        return worst;
    }
}

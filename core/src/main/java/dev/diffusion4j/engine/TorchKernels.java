package dev.diffusion4j.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch kernels that DJL 0.36 does not expose: {@code group_norm} (one pass for the statistics,
 * one for normalising, scaling and shifting), {@code silu} (one pass instead of a sigmoid and a
 * product), forward and backward, and a dropout whose random bits do not come from libtorch's serial
 * Bernoulli sampler.
 *
 * <p>DJL reaches libtorch's operators only through its fixed JNI table, but it also loads
 * TorchScript modules, and a TorchScript module may call any operator. So this class writes a
 * minimal TorchScript archive itself, in memory: a module class whose methods each call one or two
 * of those operators, its pickled (empty) state and a version record. libtorch compiles the methods
 * when DJL loads the archive; no Python is involved. The methods run under DJL's autograd like any
 * other operator: gradients flow to the input and to the GroupNorm parameters.
 *
 * <p>What it bought is in {@code docs/PERFORMANCE.md}. {@code -Ddiffusion4j.fused=false} turns it off
 * (the model then takes DJL's layer norm, product, sum and sigmoid), to measure it or to rule it out.
 */
public final class TorchKernels {
    private static final Logger LOG = LoggerFactory.getLogger(TorchKernels.class);

    /** {@code -Ddiffusion4j.fused=false} makes {@link #enabled()} false. */
    private static final boolean WANTED = !"false".equalsIgnoreCase(System.getProperty("diffusion4j.fused"));

    /** One module per (groups, eps), per dropout rate (constants of the compiled methods), and one for SiLU. */
    private static final Map<String, Kernels> MODULES = new ConcurrentHashMap<>();

    /** Per thread, the buffer that dropout's random bits are drawn into (grown as needed). */
    private static final ThreadLocal<ByteBuffer[]> BITS = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    private static volatile boolean failed;
    private static volatile String failure;

    private TorchKernels() {}

    /** Whether the fused kernels are in use (wanted, and their module loaded). */
    public static boolean enabled() {
        return WANTED && !failed;
    }

    /** A line saying which kernels run; loads the module to find out. */
    public static String status() {
        if (!WANTED) {
            return "kernels: DJL's operators (diffusion4j.fused=false)";
        }
        kernels("silu", TorchKernels::siluSource);
        return failed ? "kernels: DJL's operators (the TorchScript module did not load: " + failure + ")"
                : "kernels: libtorch group_norm, silu and dropout through an in-memory TorchScript module";
    }

    /**
     * GroupNorm of (N, C, ...) {@code x} with per-channel {@code weight} and {@code bias}, then SiLU
     * when {@code silu}: {@code torch.group_norm}, and {@code torch.silu} (in place on the
     * normalised tensor when autograd is not recording).
     *
     * @return the result, in {@code x}'s manager; null when the kernels are not available (the
     *     caller then computes it with DJL's operators)
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, double eps, boolean silu) {
        Kernels k = kernels(groups, eps);
        if (k == null || !plain(x) || !plain(weight) || !plain(bias)) {
            return null;
        }
        boolean grad = JniUtils.isGradMode();
        String method = silu ? (grad ? "gn_silu" : "gn_silu_") : "gn";
        return k.call(method, grad, x, weight, bias);
    }

    /** {@code x · sigmoid(x)} in one pass; null when the kernels are not available. */
    public static NDArray silu(NDArray x) {
        Kernels k = kernels("silu", TorchKernels::siluSource);
        if (k == null || !plain(x)) {
            return null;
        }
        return k.call("silu", JniUtils.isGradMode(), x);
    }

    private static String siluSource() {
        return header()
                + "  def silu(self: __torch__.Kernels, x: Tensor) -> Tensor:\n"
                + "    return torch.silu(x)\n";
    }

    /**
     * Inverted dropout while training: each element is zeroed with probability {@code p} and the
     * rest scaled by 1/(1 - p), so the expectation is {@code x}. The gradient is the same mask times
     * the same scale.
     *
     * <p>libtorch's CPU Bernoulli draws one Mersenne-Twister number per element on one thread (about
     * 5 ns each here; with the product, 8.5 ms for 64x32x28x28). Here one 32-bit integer per
     * element comes from a {@link SplittableRandom} (64 bits in about a nanosecond), seeded by a draw
     * from libtorch's generator so that {@code Engine.setRandomSeed} still fixes every mask; the
     * kernel keeps the elements whose integer is at least {@code round(p·2^32) - 2^31} (2.6 ms for
     * the same tensor). The realised rate is that threshold's, within 2^-32 of {@code p}, and the
     * scale is exactly its reciprocal complement.
     *
     * @return the result, in {@code x}'s manager; null when the kernels are not available
     */
    public static NDArray dropout(NDArray x, double p) {
        Kernels k = kernels("dropout/" + p, () -> dropoutSource(p));
        if (k == null || !plain(x)) {
            return null;
        }
        long n = x.size();
        if (n > Integer.MAX_VALUE / 4) {
            return null;
        }
        ByteBuffer[] holder = BITS.get();
        if (holder[0] == null || holder[0].capacity() < 4 * n + 8) {
            holder[0] = ByteBuffer.allocateDirect((int) Math.max(4 * n + 8, 1 << 20)).order(ByteOrder.nativeOrder());
        }
        ByteBuffer bits = holder[0];
        long seed;
        try (NDArray s = x.getManager().randomInteger(0, Long.MAX_VALUE, new Shape(), DataType.INT64)) {
            seed = s.getLong();
        }
        SplittableRandom rng = new SplittableRandom(seed);
        bits.clear();
        LongBuffer longs = bits.asLongBuffer();
        for (long i = (n + 1) / 2; i > 0; i--) {
            longs.put(rng.nextLong());
        }
        bits.limit((int) (4 * n));
        try (NDArray r = x.getManager().create(bits, x.getShape(), DataType.INT32)) {
            // the comparison's result is what autograd keeps; r is not needed after the call
            return k.call("dropout", JniUtils.isGradMode(), x, r);
        }
    }

    /** The threshold t, as a signed 32-bit integer: an element is dropped when its draw is below t. */
    static long dropThreshold(double p) {
        return Math.round(p * 4294967296.0) - 2147483648L;
    }

    private static String dropoutSource(double p) {
        long t = dropThreshold(p);
        double realised = (t + 2147483648.0) / 4294967296.0;
        String scale = String.format(Locale.ROOT, "%.17e", 1 / (1 - realised));
        return header()
                + "  def dropout(self: __torch__.Kernels, x: Tensor, r: Tensor) -> Tensor:\n"
                + "    return torch.mul(x, torch.mul_(torch.ge(r, " + t + ").type_as(x), " + scale + "))\n";
    }

    /** DJL would read a name with a dot, "[]" or "()" as a dict, list or tuple entry. */
    private static boolean plain(NDArray a) {
        String name = a.getName();
        return name == null || !(name.contains(".") || name.endsWith("]") || name.endsWith(")") || name.startsWith("module_method:"));
    }

    private static Kernels kernels(int groups, double eps) {
        return kernels("groupnorm/" + groups + "/" + eps, () -> source(groups, eps));
    }

    private static Kernels kernels(String key, Supplier<String> source) {
        if (!enabled()) {
            return null;
        }
        Kernels k = MODULES.get(key);
        if (k != null) {
            return k;
        }
        synchronized (MODULES) {
            k = MODULES.get(key);
            if (k == null && !failed) {
                try {
                    k = load(source.get());
                    MODULES.put(key, k);
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                    LOG.warn("libtorch kernels through TorchScript unavailable, using DJL's operators: {}", e.getMessage());
                }
            }
            return k;
        }
    }

    /** A loaded module, and per method the array whose name selects it; owned for the JVM's lifetime. */
    private record Kernels(PtSymbolBlock module, Map<String, NDArray> selectors) {
        /**
         * Runs one method. DJL picks the method from an array named "module_method:NAME", which it
         * does not pass on; the result lands in the first array's manager, so x comes first.
         */
        NDArray call(String method, boolean grad, NDArray... args) {
            NDList in = new NDList(args.length + 1);
            in.addAll(Arrays.asList(args));
            in.add(selectors.get(method));
            return IValueUtils.forward(module, in, grad).singletonOrThrow();
        }
    }

    /** Methods are the lines "  def NAME(" of the source. */
    private static Kernels load(String source) throws IOException {
        NDManager owner = NDManager.newBaseManager("PyTorch");
        PtSymbolBlock module = JniUtils.loadModule((PtNDManager) owner, new ByteArrayInputStream(archive(source)), false, false);
        Map<String, NDArray> selectors = new HashMap<>();
        Matcher def = Pattern.compile("(?m)^  def (\\w+)\\(").matcher(source);
        while (def.find()) {
            NDArray a = owner.zeros(new Shape());
            a.setName("module_method:" + def.group(1));
            selectors.put(def.group(1), a);
        }
        return new Kernels(module, Map.copyOf(selectors));
    }

    /** The class line, the attributes every module declares, and an identity forward. */
    private static String header() {
        return String.join("\n",
                "class Kernels(Module):",
                "  __parameters__ = []",
                "  __buffers__ = []",
                "  training : bool",
                "  def forward(self: __torch__.Kernels, x: Tensor) -> Tensor:",
                "    return x",
                "");
    }

    /** The TorchScript source of the GroupNorm module: one method per fused operation. */
    static String source(int groups, double eps) {
        String args = "%d, weight, bias, %s".formatted(groups, String.format(Locale.ROOT, "%.17e", eps));
        return header() + String.join("\n",
                "  def gn(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:",
                "    return torch.group_norm(x, " + args + ")",
                "  def gn_silu(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:",
                "    return torch.silu(torch.group_norm(x, " + args + "))",
                "  def gn_silu_(self: __torch__.Kernels, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:",
                "    return torch.silu_(torch.group_norm(x, " + args + "))",
                "");
    }

    /**
     * A TorchScript archive (a zip under one top folder): {@code code/__torch__.py}, the class source;
     * {@code data.pkl}, the module object pickled (protocol 2: an instance of {@code
     * __torch__.Kernels} whose one attribute, {@code training}, is false); {@code constants.pkl}, an
     * empty tuple; {@code version}, the file-format version.
     */
    static byte[] archive(String source) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(new byte[] {(byte) 0x80, 2}); // PROTO 2
        data.write("c__torch__\nKernels\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        data.write(new byte[] {')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0}); // EMPTY_TUPLE NEWOBJ EMPTY_DICT MARK BINUNICODE
        data.write("training".getBytes(StandardCharsets.US_ASCII));
        data.write(new byte[] {(byte) 0x89, 'u', 'b', '.'}); // NEWFALSE SETITEMS BUILD STOP
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            put(z, "data.pkl", data.toByteArray());
            put(z, "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            put(z, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            put(z, "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
        }
        return zip.toByteArray();
    }

    private static void put(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry("archive/" + name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(bytes);
        z.closeEntry();
    }
}

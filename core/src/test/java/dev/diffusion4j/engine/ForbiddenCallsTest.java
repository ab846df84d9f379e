package dev.diffusion4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the two DJL gradient bugs of docs/ENGINE.md out of reach: reads the constant pool
 * of every compiled main class and fails when a class other than the wrapper refers to
 *
 * <ul>
 *   <li>an arithmetic {@code NDArray}/{@code NDArrays} method that takes a {@code java.lang.Number}
 *       ("Scalar operands"; use {@link Ops});
 *   <li>DJL's swish/mish, which multiply by a wrapped number internally (use {@link Ops#silu});
 *   <li>DJL's {@code Conv2d} ("Convolution input gradients"; use {@link SafeConv}).
 * </ul>
 */
class ForbiddenCallsTest {
    private static final Set<String> ARRAY_OWNERS = Set.of(
            "ai/djl/ndarray/NDArray", "ai/djl/ndarray/NDArrays", "ai/djl/pytorch/engine/PtNDArray",
            "ai/djl/ndarray/internal/NDArrayEx", "ai/djl/pytorch/engine/PtNDArrayEx", "ai/djl/ndarray/NDArrayAdapter");
    /** Comparisons make no gradient; clip hands its bounds to libtorch as scalars. */
    private static final Set<String> ALLOWED_NUMBER_METHODS = Set.of(
            "eq", "neq", "gt", "gte", "lt", "lte", "clip", "contentEquals", "allClose", "isNaN", "full", "set",
            "arange", "linspace");

    record Ref(String owner, String name, String descriptor) {}

    @Test
    void onlyTheWrappersReachTheBrokenDjlCalls() throws IOException {
        Path classes = Paths.get(System.getProperty("diffusion4j.testClasspath", "target/classes"));
        assertThat(classes).isDirectory();
        List<String> violations = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                scanned++;
                String cls = classes.relativize(f).toString().replace('\\', '/').replaceAll("\\.class$", "");
                for (Ref r : methodRefs(f)) {
                    String v = violation(cls, r);
                    if (v != null) {
                        violations.add(cls + " -> " + r.owner() + "." + r.name() + r.descriptor() + ": " + v);
                    }
                }
            }
        }
        assertThat(scanned).isGreaterThan(10);
        assertThat(violations).isEmpty();
    }

    @Test
    void theScannerSeesABypass() throws IOException {
        // this test class itself calls Conv2d and mul(Number): the scanner must flag both
        Path self = Paths.get(System.getProperty("diffusion4j.testClasses", "target/test-classes"),
                "dev/diffusion4j/engine/ForbiddenCallsTest$Bypass.class");
        List<String> found = new ArrayList<>();
        for (Ref r : methodRefs(self)) {
            String v = violation("dev/diffusion4j/model/Somewhere", r);
            if (v != null) {
                found.add(r.name());
            }
        }
        assertThat(found).contains("mul", "conv2d", "swish");
    }

    /** Never run: it only gives the scanner something to find. */
    @SuppressWarnings("unused")
    static final class Bypass {
        static Object bypass(ai.djl.ndarray.NDArray x) {
            return List.of(x.mul(3f), ai.djl.nn.convolutional.Conv2d.conv2d(x, x), ai.djl.nn.Activation.swish(x, 1f));
        }
    }

    static String violation(String cls, Ref r) {
        boolean numberArg = r.descriptor().substring(0, r.descriptor().indexOf(')')).contains("Ljava/lang/Number;");
        if (ARRAY_OWNERS.contains(r.owner()) && numberArg && !ALLOWED_NUMBER_METHODS.contains(r.name())
                && !cls.equals("dev/diffusion4j/engine/Ops")) {
            return "scalar operand through DJL (docs/ENGINE.md, Scalar operands): use dev.diffusion4j.engine.Ops";
        }
        if ((r.owner().equals("ai/djl/nn/Activation") || ARRAY_OWNERS.contains(r.owner()))
                && Set.of("swish", "mish", "swishBlock", "mishBlock").contains(r.name())) {
            return "swish/mish multiply by a wrapped scalar (docs/ENGINE.md, Scalar operands): use Ops.silu";
        }
        if (r.owner().startsWith("ai/djl/nn/convolutional/Conv2d") && !cls.equals("dev/diffusion4j/engine/SafeConv")) {
            return "direct convolution (docs/ENGINE.md, Convolution input gradients): use dev.diffusion4j.engine.SafeConv";
        }
        return null;
    }

    /** The Methodref and InterfaceMethodref entries of a class file's constant pool. */
    static List<Ref> methodRefs(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile); DataInputStream d = new DataInputStream(in)) {
            if (d.readInt() != 0xCAFEBABE) {
                throw new IOException(classFile + ": not a class file");
            }
            d.readUnsignedShort();
            d.readUnsignedShort();
            int count = d.readUnsignedShort();
            String[] utf8 = new String[count];
            int[] classNameIndex = new int[count];
            int[][] nameAndType = new int[count][];
            List<int[]> methodRefs = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                int tag = d.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = d.readUTF();
                    case 7 -> classNameIndex[i] = d.readUnsignedShort();
                    case 8, 16, 19, 20 -> d.readUnsignedShort();
                    case 3, 4 -> d.readInt();
                    case 5, 6 -> {
                        d.readLong();
                        i++;
                    }
                    case 9 -> {
                        d.readUnsignedShort();
                        d.readUnsignedShort();
                    }
                    case 10, 11 -> methodRefs.add(new int[] {d.readUnsignedShort(), d.readUnsignedShort()});
                    case 12 -> nameAndType[i] = new int[] {d.readUnsignedShort(), d.readUnsignedShort()};
                    case 15 -> {
                        d.readUnsignedByte();
                        d.readUnsignedShort();
                    }
                    case 17, 18 -> {
                        d.readUnsignedShort();
                        d.readUnsignedShort();
                    }
                    default -> throw new IOException(classFile + ": unknown constant pool tag " + tag);
                }
            }
            List<Ref> refs = new ArrayList<>();
            for (int[] mr : methodRefs) {
                int[] nt = nameAndType[mr[1]];
                refs.add(new Ref(utf8[classNameIndex[mr[0]]], utf8[nt[0]], utf8[nt[1]]));
            }
            return refs;
        }
    }
}

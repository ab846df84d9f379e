package dev.diffusion4j.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Whether oneDNN (PyTorch's CPU convolution library) runs with the machine's full instruction set: by
 * default it does, and a cap can be asked for.
 *
 * <p>Until the faults were located, this class capped oneDNN at AVX2 on every machine, because on an
 * AMD EPYC with AVX-512 (Zen 5) the whole-UNet gradient check failed without the cap. The fault behind
 * it was found (docs/ENGINE.md, "Input-channel tails"): a 3x3 convolution whose input channels are not
 * a multiple of the kernel's channel block computes a wrong forward pass, and AVX-512's strided input
 * gradient is wrong at odd multiples of 16 channels; the test UNet has such channel counts, the
 * default ones do not. {@link SafeConv} now routes around those shapes on every instruction set, so
 * the cap is no longer needed and is off. {@code -Ddiffusion4j.onednn.isa=AVX2} (or any oneDNN ISA
 * name) still sets it, through libc's {@code setenv} before the engine starts, since oneDNN reads
 * {@code ONEDNN_MAX_CPU_ISA} from the C environment the first time it dispatches; a value the user put
 * in the environment is left alone.
 */
public final class OneDnn {
    /** The property value (the default) that leaves oneDNN its own choice. */
    public static final String NO_CAP = "default";

    private static volatile String status;

    private OneDnn() {}

    interface LibC extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /** Applies the cap, if one was asked for, once; returns a line saying what was done. */
    public static synchronized String limitIsa() {
        if (status != null) {
            return status;
        }
        String user = System.getenv("ONEDNN_MAX_CPU_ISA");
        String prop = System.getProperty("diffusion4j.onednn.isa", NO_CAP);
        if (user != null && !user.isBlank()) {
            status = "oneDNN: ONEDNN_MAX_CPU_ISA=" + user + " (from the environment)";
        } else if (prop.equalsIgnoreCase(NO_CAP)) {
            status = "oneDNN: its own choice of instruction set (" + cpuVectorIsa() + ")";
        } else {
            try {
                LibC c = Native.load("c", LibC.class);
                c.setenv("ONEDNN_MAX_CPU_ISA", prop, 1);
                c.setenv("DNNL_MAX_CPU_ISA", prop, 1);
                status = "oneDNN: instruction set capped at " + prop + " (diffusion4j.onednn.isa)";
            } catch (LinkageError | RuntimeException e) {
                status = "oneDNN: cannot cap the instruction set (" + e.getMessage() + ")";
            }
        }
        return status;
    }

    /** The widest vector instruction set the CPU reports ({@code /proc/cpuinfo}): "AVX-512", "AVX2" or "no AVX2". */
    public static String cpuVectorIsa() {
        try {
            String info = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
            return info.contains("avx512f") ? "AVX-512" : info.contains("avx2") ? "AVX2" : "no AVX2";
        } catch (java.io.IOException | RuntimeException e) {
            return "CPU flags unknown";
        }
    }

    /**
     * Whether this process runs oneDNN under a cap, asked for through the property or the environment
     * ({@code ONEDNN_MAX_CPU_ISA=DEFAULT} or {@code ALL}, oneDNN's names for no cap, do not count).
     */
    public static boolean capped() {
        String s = status;
        if (s == null) {
            return false;
        }
        String upper = s.toUpperCase(java.util.Locale.ROOT);
        boolean noCapNamed = upper.contains("ONEDNN_MAX_CPU_ISA=DEFAULT ") || upper.contains("ONEDNN_MAX_CPU_ISA=ALL ");
        return s.contains("capped at") || (s.contains("ONEDNN_MAX_CPU_ISA=") && !noCapNamed);
    }

    /** What {@link #limitIsa()} did, or null before it ran. */
    public static String status() {
        return status;
    }
}

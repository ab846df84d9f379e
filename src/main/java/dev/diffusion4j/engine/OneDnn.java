package dev.diffusion4j.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Caps the instruction set oneDNN (PyTorch's CPU convolution library) may use, from inside the JVM.
 *
 * <p>On an AMD EPYC with AVX-512 VP2INTERSECT and BF16 (Zen 5), oneDNN's AVX-512 kernels returned
 * wrong gradients in this project's gradient checks (whole-UNet input gradient off by 0.6% against
 * float64, and NaN gradients after ~40 steps of a tiny training run) even with {@link SafeConv}'s
 * padding, which fixes a different fault; limited to AVX2 every check passes. On a CPU without
 * AVX-512 the cap changes nothing (docs/ENGINE.md, "AVX-512 kernels: the instruction-set cap"). oneDNN reads {@code
 * ONEDNN_MAX_CPU_ISA} from the C environment the first time it dispatches, so this sets it through
 * libc's {@code setenv} before the engine starts. A value the user put in the environment is left
 * alone; {@code -Ddiffusion4j.onednn.isa=default} leaves oneDNN to choose (at the user's risk).
 */
public final class OneDnn {
    /** The cap applied when nobody chose one. */
    public static final String DEFAULT_CAP = "AVX2";

    private static volatile String status;

    private OneDnn() {}

    interface LibC extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /** Applies the cap once; returns a line saying what was done. */
    public static synchronized String limitIsa() {
        if (status != null) {
            return status;
        }
        String user = System.getenv("ONEDNN_MAX_CPU_ISA");
        String prop = System.getProperty("diffusion4j.onednn.isa", DEFAULT_CAP);
        if (user != null && !user.isBlank()) {
            status = "oneDNN: ONEDNN_MAX_CPU_ISA=" + user + " (from the environment)";
        } else if (prop.equalsIgnoreCase("default")) {
            status = "oneDNN: its own choice of instruction set (diffusion4j.onednn.isa=default)";
        } else {
            try {
                LibC c = Native.load("c", LibC.class);
                c.setenv("ONEDNN_MAX_CPU_ISA", prop, 1);
                c.setenv("DNNL_MAX_CPU_ISA", prop, 1);
                status = "oneDNN: instruction set capped at " + prop;
            } catch (LinkageError | RuntimeException e) {
                status = "oneDNN: cannot cap the instruction set (" + e.getMessage() + ")";
            }
        }
        return status;
    }

    /** Whether this process runs oneDNN under a cap (its own or the user's). */
    public static boolean capped() {
        String s = status;
        return s != null && (s.contains("capped at") || s.contains("ONEDNN_MAX_CPU_ISA="));
    }

    /** What {@link #limitIsa()} did, or null before it ran. */
    public static String status() {
        return status;
    }
}

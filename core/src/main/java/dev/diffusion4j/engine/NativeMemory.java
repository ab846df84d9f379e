package dev.diffusion4j.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The native allocator settings of docs/ENGINE.md, "The native allocator", made from inside the JVM so that library users get
 * them too, not only the launcher's environment: glibc's {@code mallopt} through JNA, before the
 * first tensor. Large blocks then stay in the heap instead of being fresh {@code mmap}s that
 * page-fault on every first touch, and freed memory is not handed back to the kernel after every
 * step. Set the system property {@code diffusion4j.malloc.tune=false} (or the environment variable
 * {@code DIFFUSION4J_MALLOC_TUNE=0}) to leave the allocator alone.
 */
public final class NativeMemory {
    /** {@code M_TRIM_THRESHOLD}: keep this much free memory at the top of the heap. */
    static final int M_TRIM_THRESHOLD = -1;
    /** {@code M_TOP_PAD}: grow the heap by this much extra each time. */
    static final int M_TOP_PAD = -2;
    /** {@code M_MMAP_THRESHOLD}: blocks at least this large are mmap'ed (glibc caps it at 32 MiB). */
    static final int M_MMAP_THRESHOLD = -3;

    /** The values set: 32 MiB (glibc's upper limit), 2 GiB - 1, 1 GiB. */
    static final int MMAP_THRESHOLD = 32 << 20;
    static final int TRIM_THRESHOLD = Integer.MAX_VALUE;
    static final int TOP_PAD = 1 << 30;

    private static volatile String status;
    private static volatile boolean tuned;

    private NativeMemory() {}

    interface LibC extends Library {
        int mallopt(int param, int value);

        MallInfo2.ByValue mallinfo2();

        int malloc_trim(long pad);
    }

    /** libc, loaded on first use (a failure surfaces as a LinkageError where it is used). */
    private static final class Libc {
        static final LibC C = Native.load("c", LibC.class);
    }

    /** glibc's {@code struct mallinfo2} (2.33 and later): ten {@code size_t} counters. */
    @com.sun.jna.Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"})
    public static class MallInfo2 extends com.sun.jna.Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        /** Returned by value. */
        public static class ByValue extends MallInfo2 implements com.sun.jna.Structure.ByValue {}
    }

    /**
     * What glibc's allocator holds, over all its arenas: {@code inUse} bytes handed out and not yet
     * freed (heap and mmap'ed blocks), {@code free} bytes kept in the heaps for reuse. A leak shows as growing {@code inUse}; fragmentation as growing
     * {@code free} with {@code inUse} flat.
     */
    public record AllocatorStats(long inUse, long free) {}

    /** The allocator's counters ({@code mallinfo2}), or null where it is not glibc 2.33+. */
    public static AllocatorStats allocatorStats() {
        if (!isLinuxGlibc()) {
            return null;
        }
        try {
            MallInfo2 m = Libc.C.mallinfo2();
            return new AllocatorStats(m.uordblks + m.hblkhd, m.fordblks);
        } catch (LinkageError | RuntimeException e) {
            return null;
        }
    }

    /** Applies the settings once; returns a line saying what was done. */
    public static synchronized String tune() {
        if (status != null) {
            return status;
        }
        String prop = System.getProperty("diffusion4j.malloc.tune");
        String env = System.getenv("DIFFUSION4J_MALLOC_TUNE");
        if ("false".equalsIgnoreCase(prop) || "0".equals(env) || "false".equalsIgnoreCase(env)) {
            status = "allocator: left alone (diffusion4j.malloc.tune=false)";
            return status;
        }
        if (!isLinuxGlibc()) {
            status = "allocator: left alone (not Linux with glibc)";
            return status;
        }
        try {
            LibC c = Libc.C;
            int ok = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) & c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                    & c.mallopt(M_TOP_PAD, TOP_PAD);
            tuned = ok == 1;
            status = ok == 1 ? "allocator: glibc mallopt mmap_threshold=32MiB trim_threshold=2GiB top_pad=1GiB"
                    : "allocator: glibc refused a mallopt setting";
        } catch (LinkageError | RuntimeException e) {
            status = "allocator: left alone (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        }
        return status;
    }

    /**
     * Hands the heaps' free pages back to the kernel ({@code malloc_trim(0)}), where {@link #tune()}
     * turned glibc's own trimming off. Without it the pages that a long run has touched once stay
     * resident even when free, and resident memory creeps up (measured: +17% over 1,000 steps
     * without it, flat over 5,000 with it every 200 steps; docs/PERFORMANCE.md). Cheap when called
     * every few hundred steps: the next step faults its working set in again once. Does nothing unless {@link #tune()} changed the allocator.
     *
     * @return whether memory was released
     */
    public static boolean trim() {
        if (!tuned) {
            return false;
        }
        try {
            return Libc.C.malloc_trim(0) == 1;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@link #tune()} changed glibc's settings (and so turned its trimming off). */
    public static boolean tuned() {
        return tuned;
    }

    /** What {@link #tune()} did, or null before it ran. */
    public static String status() {
        return status;
    }

    private static boolean isLinuxGlibc() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux") && isGlibc();
    }

    private static boolean isGlibc() {
        // musl has no mallopt worth calling; glibc's loader sits at a well-known path
        return Files.exists(Path.of("/lib64/ld-linux-x86-64.so.2")) || Files.exists(Path.of("/lib/ld-linux-aarch64.so.1"))
                || Files.exists(Path.of("/lib/x86_64-linux-gnu/libc.so.6")) || Files.exists(Path.of("/lib/aarch64-linux-gnu/libc.so.6"));
    }

    /** Resident set size of this process in bytes (Linux), or -1. */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

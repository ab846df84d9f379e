package dev.diffusion4j.model;

import java.util.function.Supplier;

/**
 * Counts, while active on this thread, the floating-point operations of the matrix products that the
 * layers actually run: each convolution, linear layer, attention product and class-embedding lookup
 * reports 2 · (multiply-adds) from the shapes of its real tensors. It is the measured side of {@link
 * Flops}, whose count comes from the architecture alone.
 */
public final class FlopCounter {
    private static final ThreadLocal<long[]> ACTIVE = new ThreadLocal<>();

    private FlopCounter() {}

    /** Runs {@code work} with counting on and returns the FLOPs it reported. */
    public static long count(Supplier<?> work) {
        long[] total = {0};
        long[] previous = ACTIVE.get();
        ACTIVE.set(total);
        try {
            work.get();
        } finally {
            ACTIVE.set(previous);
        }
        return total[0];
    }

    /** Reports {@code flops} when counting is on (a thread-local read otherwise). */
    static void add(long flops) {
        long[] total = ACTIVE.get();
        if (total != null) {
            total[0] += flops;
        }
    }
}

package dev.diffusion4j.testing;

import org.junit.jupiter.api.Assumptions;

/** A skipped test says so on the console, with its reason, not only in the report. */
public final class Skips {
    private Skips() {}

    /** Skips the calling test, printing why, unless {@code condition} holds. */
    public static void unless(boolean condition, String reason) {
        if (!condition) {
            StackTraceElement caller = StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).map(f -> f.toStackTraceElement())
                    .orElseThrow();
            System.out.println("SKIPPED " + caller.getClassName().replaceAll(".*\\.", "") + "." + caller.getMethodName() + ": " + reason);
        }
        Assumptions.assumeTrue(condition, reason);
    }
}

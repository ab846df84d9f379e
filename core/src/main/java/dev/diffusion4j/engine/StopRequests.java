package dev.diffusion4j.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Ctrl-C (SIGINT) and SIGTERM as a request that long loops read between steps, instead of the JVM's
 * default of running its shutdown while the main thread may be inside libtorch: that crashed the
 * process (SIGSEGV in libtorch, a crash report, exit 134) in this project's runs (docs/ENGINE.md,
 * "Stopping"). A loop that sees a request finishes or abandons its step, keeps what is finished and
 * ends; the command exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). A second
 * signal ends the process at once with {@code _exit}, which runs no native destructors (checkpoints
 * are written atomically, so nothing half-written is left either way).
 */
public final class StopRequests {
    private static volatile String signal;
    private static volatile boolean installed;

    private StopRequests() {}

    /**
     * Thrown by a loop that stops on request (a signal, a set {@link CancelToken}, an interrupted thread), after
     * keeping what it had finished; a library caller catches it as a {@link java.util.concurrent.CancellationException}.
     */
    public static final class Stopped extends java.util.concurrent.CancellationException {
        private static final long serialVersionUID = 1L;

        public Stopped(String message) {
            super(message);
        }
    }

    interface LibC extends Library {
        void _exit(int status);
    }

    /** Installs the handlers for INT and TERM (once per process; a command-line entry point calls it). */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        for (String name : new String[] {"INT", "TERM"}) {
            // written out, not imported: javadoc under --release flags an import of sun.misc, which no option silences
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                if (signal != null) {
                    hardExit(128 + s.getNumber());
                }
                signal = "SIG" + s.getName();
                System.err.println("diffusion4j: " + signal + " received: stopping after the current step (again to stop at once)");
            });
        }
        installed = true;
    }

    /** Whether a stop was requested. */
    public static boolean requested() {
        return signal != null;
    }

    /** The signal that asked, e.g. {@code SIGTERM}, or null. */
    public static String signal() {
        return signal;
    }

    /** The exit status for the request: 130 for SIGINT, 143 for SIGTERM. */
    public static int exitCode() {
        return "SIGINT".equals(signal) ? 130 : 143;
    }

    /** Throws {@link Stopped} with {@code whatWasKept} if a stop was requested. */
    public static void check(String whatWasKept) {
        if (signal != null) {
            throw new Stopped(signal + ": stopped; " + whatWasKept);
        }
    }

    private static void hardExit(int code) {
        try {
            Native.load("c", LibC.class)._exit(code);
        } catch (LinkageError | RuntimeException e) {
            Runtime.getRuntime().halt(code);
        }
    }

    /** For tests: forget a request. */
    static void reset() {
        signal = null;
    }
}

package dev.diffusion4j.engine;

/**
 * A request to stop one call between two of its steps: {@code token.cancel()} from any thread, and the call that was
 * given the token frees what it holds and ends with a {@link StopRequests.Stopped} (a {@link
 * java.util.concurrent.CancellationException}). The same check also ends the call when its thread is interrupted, or
 * when the process got SIGINT or SIGTERM after the command line installed {@link StopRequests}; so a library caller
 * needs no signal handler, and the command line's Ctrl-C goes through the same path.
 * <pre>{@code
 * CancelToken token = CancelToken.create();
 * executor.submit(() -> model.sample(request, SampleListener.NONE, token));
 * token.cancel();
 * }</pre>
 */
public final class CancelToken {
    /** A token nobody cancels: the call still ends on an interrupt or a signal. */
    public static final CancelToken NONE = new CancelToken();

    private volatile boolean cancelled;

    private CancelToken() {}

    /** A fresh token, not cancelled. */
    public static CancelToken create() {
        return new CancelToken();
    }

    /** Asks the call holding this token to stop after its current step. */
    public void cancel() {
        if (this == NONE) {
            throw new UnsupportedOperationException("CancelToken.NONE cannot be cancelled; use CancelToken.create()");
        }
        cancelled = true;
    }

    /** Whether {@link #cancel()} was called. */
    public boolean cancelled() {
        return cancelled;
    }

    /** Whether the call should stop now: cancelled, its thread interrupted, or a signal received. */
    public boolean stopRequested() {
        return cancelled || Thread.currentThread().isInterrupted() || StopRequests.requested();
    }

    /**
     * Throws {@link StopRequests.Stopped} naming the reason and {@code whatWasKept} if the call should stop; the
     * thread's interrupt flag is left set.
     */
    public void check(String whatWasKept) {
        StopRequests.check(whatWasKept);
        if (cancelled) {
            throw new StopRequests.Stopped("cancelled: stopped; " + whatWasKept);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new StopRequests.Stopped("interrupted: stopped; " + whatWasKept);
        }
    }
}

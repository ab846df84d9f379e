package dev.diffusion4j.train;

/** The loss or the gradient stopped being finite: training stops, the last checkpoint stays. */
public final class DivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long step;

    public DivergedException(long step, double loss, double gradNorm) {
        super("training diverged at step " + step + ": loss " + loss + ", gradient norm " + gradNorm
                + "; no checkpoint was written for it, the last good one is kept (try a lower training.lr or training.gradClip)");
        this.step = step;
    }

    /** The step whose loss or gradient was not finite. */
    public long step() {
        return step;
    }
}

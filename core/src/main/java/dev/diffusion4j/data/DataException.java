package dev.diffusion4j.data;

/** A data file that cannot be used: the message names the file and the problem, on one line. */
public class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}

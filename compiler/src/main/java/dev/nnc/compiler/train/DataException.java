package dev.nnc.compiler.train;

/** A data file that cannot be used for training: unreadable, truncated, of the wrong layout or with bad labels; the message names the file. */
public final class DataException extends Exception {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }
}

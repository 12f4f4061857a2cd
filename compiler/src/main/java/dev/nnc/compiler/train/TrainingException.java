package dev.nnc.compiler.train;

/** Training cannot go on: the loss stopped being finite, or an output file cannot be written. The message says which. */
public final class TrainingException extends Exception {
    private static final long serialVersionUID = 1L;

    public TrainingException(String message) {
        super(message);
    }
}

package dev.nnc.compiler.driver;

/** A weights file cannot be used for a model: unreadable, or a tensor is missing, extra or mis-shaped. */
public final class WeightsException extends Exception {
    private static final long serialVersionUID = 1L;

    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}

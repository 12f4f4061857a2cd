package dev.nnc.runtime;

/**
 * Signals that a {@code .nnc} artifact cannot be used: unreadable, truncated, not a zip, of another format version,
 * failing a checksum, missing an entry, or holding a class the verifier refuses. The message says what is wrong and
 * what to do about it.
 */
public final class ArtifactException extends Exception {

    /** The advice appended to messages about damaged or incompatible artifacts. */
    static final String RECOMPILE = "recompile the model with `nnc compile`";

    public ArtifactException(String message) {
        super(message);
    }

    public ArtifactException(String message, Throwable cause) {
        super(message, cause);
    }
}

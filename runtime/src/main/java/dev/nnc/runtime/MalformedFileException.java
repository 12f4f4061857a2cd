package dev.nnc.runtime;

import java.io.IOException;

/** Signals that bytes claimed to be a safetensors or {@code .npy} file are not a valid one; the message says what is wrong. */
public final class MalformedFileException extends IOException {

    public MalformedFileException(String message) {
        super(message);
    }
}

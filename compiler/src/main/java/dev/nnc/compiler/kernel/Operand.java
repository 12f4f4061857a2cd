package dev.nnc.compiler.kernel;

import java.util.Objects;

/** A place in a buffer where a kernel operand starts; {@code offset} counts floats. */
public record Operand(Buffer buffer, long offset) {
    public Operand {
        Objects.requireNonNull(buffer);
        if (offset < 0) throw new IllegalArgumentException("negative offset " + offset);
    }

    @Override
    public String toString() {
        return offset == 0 ? buffer.toString() : buffer + "+" + offset;
    }
}

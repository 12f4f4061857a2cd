package dev.nnc.compiler.ir;

import java.util.Objects;

/** A trainable tensor of the model, with the initializer used when no weights are supplied. */
public record Param(Value value, Init init) {
    public Param {
        Objects.requireNonNull(value);
        Objects.requireNonNull(init);
        if (value.shape().hasBatch()) throw new IllegalArgumentException("parameter " + value + " cannot have a batch dimension");
    }

    public String name() {
        return value.name();
    }
}

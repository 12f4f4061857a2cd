package dev.nnc.dsl.ast;

import java.util.Objects;

/** {@code true} or {@code false}. */
public record BoolLit(boolean value, Span span) implements Expr {

    public BoolLit {
        Objects.requireNonNull(span, "span");
    }
}

package dev.nnc.dsl.ast;

import java.util.Objects;

/** A floating-point literal such as {@code 1e-3}. */
public record FloatLit(double value, Span span) implements Expr {

    public FloatLit {
        Objects.requireNonNull(span, "span");
    }
}

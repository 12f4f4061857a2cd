package dev.nnc.dsl.ast;

import java.util.Objects;

/** An integer literal. */
public record IntLit(long value, Span span) implements Expr {

    public IntLit {
        Objects.requireNonNull(span, "span");
    }
}

package dev.nnc.dsl.ast;

import java.util.Objects;

/** {@code return value}: the result of a block. */
public record Return(Expr value, Span span) implements Stmt {

    public Return {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(span, "span");
    }
}

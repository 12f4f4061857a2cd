package dev.nnc.dsl.ast;

import java.util.Objects;

/** Unary minus: {@code -operand}. */
public record Neg(Expr operand, Span span) implements Expr {

    public Neg {
        Objects.requireNonNull(operand, "operand");
        Objects.requireNonNull(span, "span");
    }
}

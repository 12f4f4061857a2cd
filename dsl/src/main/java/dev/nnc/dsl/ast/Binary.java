package dev.nnc.dsl.ast;

import java.util.Objects;

/** {@code left op right}, where {@code opSpan} is the operator's position. */
public record Binary(BinOp op, Expr left, Expr right, Span opSpan, Span span) implements Expr {

    public Binary {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
        Objects.requireNonNull(opSpan, "opSpan");
        Objects.requireNonNull(span, "span");
    }
}

package dev.nnc.dsl.ast;

import java.util.Objects;

/** A string literal, unescaped. */
public record StrLit(String value, Span span) implements Expr {

    public StrLit {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(span, "span");
    }
}

package dev.nnc.dsl.ast;

import java.util.Objects;

/** A reference to a let-binding, parameter or dim symbol. */
public record Name(String name, Span span) implements Expr {

    public Name {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(span, "span");
    }
}

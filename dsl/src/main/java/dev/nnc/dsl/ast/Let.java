package dev.nnc.dsl.ast;

import java.util.Objects;

/** {@code name = value}; binding a name again gives it a new value (like SSA). */
public record Let(String name, Span nameSpan, Expr value, Span span) implements Stmt {

    public Let {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nameSpan, "nameSpan");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(span, "span");
    }
}

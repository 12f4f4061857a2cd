package dev.nnc.dsl.ast;

import java.util.Objects;

/** A scalar block-parameter type as written ({@code int}, {@code float} or {@code bool}; the checker rejects others). */
public record ScalarTypeRef(String name, Span span) implements TypeRef {

    public ScalarTypeRef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(span, "span");
    }
}

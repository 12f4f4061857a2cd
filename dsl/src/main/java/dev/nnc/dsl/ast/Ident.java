package dev.nnc.dsl.ast;

import java.util.Objects;

/** A name and where it is written (used for model outputs). */
public record Ident(String name, Span span) {

    public Ident {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(span, "span");
    }
}

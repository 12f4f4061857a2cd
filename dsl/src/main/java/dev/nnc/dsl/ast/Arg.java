package dev.nnc.dsl.ast;

import java.util.Objects;

/**
 * One argument of a call: positional ({@code name == null}) or named ({@code pad=1}).
 */
public record Arg(String name, Expr value, Span span) {

    public Arg {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(span, "span");
    }

    /** True for a positional argument. */
    public boolean isPositional() {
        return name == null;
    }
}

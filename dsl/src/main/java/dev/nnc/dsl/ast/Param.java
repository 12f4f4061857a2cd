package dev.nnc.dsl.ast;

import java.util.Objects;

/**
 * A model input or block parameter: {@code name[: type][= default]}.
 *
 * @param type         the declared type, or null for an untyped block parameter (a tensor)
 * @param defaultValue the value used when a call omits it, or null when it is required
 */
public record Param(String name, Span nameSpan, TypeRef type, Expr defaultValue, Span span) {

    public Param {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nameSpan, "nameSpan");
        Objects.requireNonNull(span, "span");
    }
}

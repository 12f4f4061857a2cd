package dev.nnc.dsl.ast;

import java.util.List;
import java.util.Objects;

/** {@code block Name(params) { body }}: a reusable sub-network, called like a layer. */
public record BlockDecl(String name, Span nameSpan, List<Param> params, List<Stmt> body, Span span)
        implements Decl {

    public BlockDecl {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nameSpan, "nameSpan");
        params = List.copyOf(params);
        body = List.copyOf(body);
        Objects.requireNonNull(span, "span");
    }
}

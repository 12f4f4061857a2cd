package dev.nnc.dsl.ast;

import java.util.List;
import java.util.Objects;

/** {@code model Name(inputs) -> outputs { body }}: a network's entry point. */
public record ModelDecl(String name, Span nameSpan, List<Param> inputs, List<Ident> outputs, List<Stmt> body,
                        Span span) implements Decl {

    public ModelDecl {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nameSpan, "nameSpan");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        body = List.copyOf(body);
        Objects.requireNonNull(span, "span");
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("model " + name + " has no outputs");
        }
    }
}

package dev.nnc.dsl.ast;

import java.util.List;
import java.util.Objects;

/** A parsed {@code .nn} file: its declarations in source order. */
public record Program(SourceFile source, List<Decl> decls) {

    public Program {
        Objects.requireNonNull(source, "source");
        decls = List.copyOf(decls);
    }
}

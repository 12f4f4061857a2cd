package dev.nnc.dsl;

import dev.nnc.dsl.ast.Program;
import java.util.List;

/**
 * What {@link Dsl} produced: the program and every diagnostic, in source order.
 *
 * @param program the AST, or null when the file has syntax errors
 */
public record ParseResult(Program program, List<Diagnostic> diagnostics) {

    public ParseResult {
        diagnostics = diagnostics.stream().sorted(Diagnostic.BY_POSITION).toList();
        if (program == null && diagnostics.stream().noneMatch(d -> d.severity() == Severity.ERROR)) {
            throw new IllegalArgumentException("a result without a program must carry an error");
        }
    }

    /** True when there is no error (warnings and notes allowed); then {@link #program()} is non-null. */
    public boolean ok() {
        return diagnostics.stream().noneMatch(d -> d.severity() == Severity.ERROR);
    }
}

package dev.nnc.compiler.driver;

import dev.nnc.dsl.Diagnostic;
import dev.nnc.dsl.ast.SourceFile;
import java.util.List;

/** The source has errors; {@link #report()} formats all of them as {@code file:line:col} diagnostics. */
public final class CompileException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient SourceFile source;
    private final transient List<Diagnostic> diagnostics;

    public CompileException(SourceFile source, List<Diagnostic> diagnostics) {
        super(diagnostics.size() + (diagnostics.size() == 1 ? " error" : " errors") + " in " + source.path());
        this.source = source;
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** Every diagnostic formatted with its source line and caret, then a count. */
    public String report() {
        long errors = diagnostics.size();
        return Diagnostic.formatAll(diagnostics, source) + errors + (errors == 1 ? " error" : " errors") + "\n";
    }
}

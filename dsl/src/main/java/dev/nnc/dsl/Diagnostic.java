package dev.nnc.dsl;

import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.dsl.ast.Span;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A message about a place in a source file, with an optional hint saying how to fix it.
 * The syntax check, the semantic check and the compiler's frontend all report with this type.
 *
 * @param hint a suggestion such as "did you mean `dense`?", or null
 */
public record Diagnostic(Severity severity, Span span, String message, String hint) {

    /** Source order: by line, then column, then message. */
    public static final Comparator<Diagnostic> BY_POSITION = Comparator
            .comparingInt((Diagnostic d) -> d.span().line())
            .thenComparingInt(d -> d.span().col())
            .thenComparing(Diagnostic::message);

    public Diagnostic {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(span, "span");
        Objects.requireNonNull(message, "message");
        if (message.isBlank()) {
            throw new IllegalArgumentException("empty diagnostic message");
        }
    }

    /** An error without a hint. */
    public static Diagnostic error(Span span, String message) {
        return new Diagnostic(Severity.ERROR, span, message, null);
    }

    /** An error with a hint (null allowed). */
    public static Diagnostic error(Span span, String message, String hint) {
        return new Diagnostic(Severity.ERROR, span, message, hint);
    }

    /** {@code line:col: severity: message}, the position-and-message part of {@link #format}. */
    public String headline() {
        String position = span.isSynthetic() ? "" : span.line() + ":" + span.col() + ": ";
        return position + severity.label() + ": " + message;
    }

    /**
     * The diagnostic as a person reads it: {@code path:line:col: severity: message}, the source
     * line, a caret under the start of the span ({@code ~} under the rest of a one-line span), and
     * {@code   hint: ...} when there is a hint. Lines end with {@code \n}.
     */
    public String format(SourceFile source) {
        StringBuilder out = new StringBuilder();
        out.append(source.path()).append(span.isSynthetic() ? ": " : ":").append(headline()).append('\n');
        if (!span.isSynthetic()) {
            String line = source.line(span.line());
            out.append(line).append('\n');
            out.append(caretLine(line)).append('\n');
        }
        if (hint != null) {
            out.append("  hint: ").append(hint).append('\n');
        }
        return out.toString();
    }

    /** Every diagnostic formatted, in the order given. */
    public static String formatAll(List<Diagnostic> diagnostics, SourceFile source) {
        return diagnostics.stream().map(d -> d.format(source)).collect(Collectors.joining());
    }

    private String caretLine(String line) {
        StringBuilder caret = new StringBuilder();
        for (int i = 0; i < span.col() - 1; i++) {
            caret.append(i < line.length() && line.charAt(i) == '\t' ? '\t' : ' ');
        }
        caret.append('^');
        if (span.endLine() == span.line()) {
            int lastCol = Math.min(span.endCol() - 1, line.length());
            caret.append("~".repeat(Math.max(0, lastCol - span.col())));
        }
        return caret.toString();
    }
}

package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.dsl.ast.Span;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The diagnostic format: {@code path:line:col: severity: message}, source line, caret, hint. */
class DiagnosticFormatTest {

    private static final SourceFile MLP = new SourceFile("mlp.nn",
            "model Mlp(x: f32[B, 784]) -> h {\r\n    h = x |> dens(128)\r\n}");

    @Test
    void caretUnderTheStartAndTildesUnderTheRest() {
        Diagnostic diagnostic = Diagnostic.error(new Span(2, 14, 2, 18), "unknown layer `dens`",
                "did you mean `dense`?");
        assertEquals("""
                mlp.nn:2:14: error: unknown layer `dens`
                    h = x |> dens(128)
                             ^~~~
                  hint: did you mean `dense`?
                """, diagnostic.format(MLP));
    }

    @Test
    void multiLineSpanGetsOnlyACaretAndNoHintLineWithoutHint() {
        Diagnostic diagnostic = new Diagnostic(Severity.WARNING, new Span(1, 1, 3, 2), "odd model", null);
        assertEquals("""
                mlp.nn:1:1: warning: odd model
                model Mlp(x: f32[B, 784]) -> h {
                ^
                """, diagnostic.format(MLP));
    }

    @Test
    void tabsInTheSourceLineKeepTheCaretAligned() {
        SourceFile tabbed = new SourceFile("t.nn", "\ty = relu(q)");
        String formatted = Diagnostic.error(new Span(1, 11, 1, 12), "undefined name `q`").format(tabbed);
        assertEquals("t.nn:1:11: error: undefined name `q`\n\ty = relu(q)\n\t         ^\n", formatted);
    }

    @Test
    void endOfFileErrorPointsJustPastTheLastToken() {
        SourceFile source = new SourceFile("t.nn", "model M(x: f32[B, 4]) -> y {\n  y = relu(x)\n\n# trailing\n");
        List<Diagnostic> diagnostics = Dsl.parse(source).diagnostics();
        assertEquals("""
                t.nn:2:14: error: expected a statement or `}` but found end of file
                  y = relu(x)
                             ^
                """, Diagnostic.formatAll(diagnostics, source));
    }

    @Test
    void sourceLinesAreOneBasedAndMissingLinesAreEmpty() {
        assertEquals("    h = x |> dens(128)", MLP.line(2));
        assertEquals("}", MLP.line(3));
        assertEquals("", MLP.line(4));
        assertEquals("", MLP.line(0));
    }

    @Test
    void spansRejectEndsBeforeStarts() {
        assertThrows(IllegalArgumentException.class, () -> new Span(2, 5, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> new Span(2, 5, 1, 9));
        assertThrows(IllegalArgumentException.class, () -> new Span(0, 1, 1, 1));
        assertEquals(true, Span.SYNTHETIC.isSynthetic());
    }

    @Test
    void suggestionsPreferTheClosestNameWithinAThirdOfItsLength() {
        assertEquals("dense", Suggestions.closest("dens", List.of("relu", "dense", "tanh")).orElseThrow());
        assertEquals("Mlp", Suggestions.closest("Mpl", List.of("Mlp", "Cnn")).orElseThrow());
        assertEquals(true, Suggestions.closest("frobnicate", List.of("dense", "relu")).isEmpty());
        assertEquals(1, Suggestions.distance("ab", "ba"));
    }
}

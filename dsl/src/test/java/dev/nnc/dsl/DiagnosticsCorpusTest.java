package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden diagnostics of the parser and checker: every {@code diagnostics/*.nn} file must produce exactly the
 * diagnostics its leading comments list, in order, no more and no fewer (the format: {@link DiagnosticsCorpus}).
 */
class DiagnosticsCorpusTest {

    static List<Path> corpus() {
        return DiagnosticsCorpus.files(DiagnosticsCorpusTest.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void fileProducesExactlyItsExpectedDiagnostics(Path file) throws IOException {
        DiagnosticsCorpus.assertProduces(file, Dsl.parseAndCheck(DiagnosticsCorpus.source(file)).diagnostics());
    }

    @Test
    void corpusIsLargeAndCoversSeveralErrorsAtOnceAndFormatting() throws IOException {
        DiagnosticsCorpus.assertCoverage(corpus(), 32, 4, 3);
    }

    @Test
    void syntaxErrorsLeaveNoProgramAndSkipTheSemanticCheck() {
        ParseResult result = Dsl.parseAndCheck(new SourceFile("t.nn", "model M(x: f32[B, 4]) -> y {\n y = dens(x\n}\n"));
        assertEquals(1, result.diagnostics().size(), result.diagnostics().toString());
        assertEquals(null, result.program());
        assertFalse(result.ok());
        assertNotNull(result.diagnostics().getFirst().message());
    }
}

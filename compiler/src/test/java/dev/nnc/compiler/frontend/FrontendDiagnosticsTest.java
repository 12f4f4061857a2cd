package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.dsl.DiagnosticsCorpus;
import dev.nnc.dsl.Dsl;
import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden shape diagnostics: every {@code diagnostics/*.nn} file passes the dsl checker, and the frontend must
 * report exactly the diagnostics its leading comments list, in order (the dsl module's corpus format and runner,
 * {@link DiagnosticsCorpus}).
 */
class FrontendDiagnosticsTest {

    static List<Path> corpus() {
        return DiagnosticsCorpus.files(FrontendDiagnosticsTest.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void fileProducesExactlyItsExpectedDiagnostics(Path file) throws IOException {
        SourceFile source = DiagnosticsCorpus.source(file);
        assertTrue(Dsl.parseAndCheck(source).ok(), "the dsl checker must accept the file, so its errors come from the frontend: "
                + Dsl.parseAndCheck(source).diagnostics());
        CompileException e = assertThrows(CompileException.class, () -> Compiler.graph(source, CompileOptions.defaults()));
        DiagnosticsCorpus.assertProduces(file, e.diagnostics());
    }

    @Test
    void corpusCoversManyFilesSeveralErrorsAtOnceAndFormatting() throws IOException {
        DiagnosticsCorpus.assertCoverage(corpus(), 14, 3, 2);
    }

    @Test
    void reportEndsWithTheErrorCount() throws IOException {
        Path file = corpus().stream().filter(p -> p.getFileName().toString().equals("several_shape_errors.nn")).findFirst().orElseThrow();
        SourceFile source = DiagnosticsCorpus.source(file);

        CompileException e = assertThrows(CompileException.class, () -> Compiler.graph(source, CompileOptions.defaults()));

        assertEquals(Files.readString(file.resolveSibling("several_shape_errors.nn.formatted")) + "4 errors\n", e.report());
        assertEquals("4 errors in several_shape_errors.nn", e.getMessage());
    }
}

package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.dsl.Diagnostic;
import dev.nnc.dsl.Dsl;
import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden shape diagnostics: every {@code diagnostics/*.nn} file passes the dsl checker, and the frontend must
 * report exactly the diagnostics its leading comments list ({@code # expect: L:C: error: message}, each optionally
 * followed by {@code # hint: text}), in order. Where {@code NAME.nn.formatted} exists, the formatted output (source
 * line and caret) must match it byte for byte. The comment format is the dsl module's corpus format.
 */
class FrontendDiagnosticsTest {

    private static final String EXPECT = "# expect: ";
    private static final String HINT = "# hint: ";

    static Stream<Path> corpus() throws IOException, URISyntaxException {
        Path dir = Path.of(FrontendDiagnosticsTest.class.getResource("/diagnostics").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".nn")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void fileProducesExactlyItsExpectedDiagnostics(Path file) throws IOException {
        String text = Files.readString(file);
        List<String> expected = expectations(text);
        assertFalse(expected.isEmpty(), "a corpus file must expect at least one diagnostic");
        SourceFile source = new SourceFile(file.getFileName().toString(), text);
        assertTrue(Dsl.parseAndCheck(source).ok(), "the dsl checker must accept the file, so its errors come from the frontend: "
                + Dsl.parseAndCheck(source).diagnostics());

        CompileException e = assertThrows(CompileException.class, () -> Compiler.graph(source, CompileOptions.defaults()));

        List<String> actual = new ArrayList<>();
        for (Diagnostic d : e.diagnostics()) {
            actual.add(d.headline());
            if (d.hint() != null) actual.add("hint: " + d.hint());
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual), file.getFileName().toString());
        Path formatted = file.resolveSibling(file.getFileName() + ".formatted");
        if (Files.exists(formatted)) {
            assertEquals(Files.readString(formatted), Diagnostic.formatAll(e.diagnostics(), source));
        }
    }

    @Test
    void corpusCoversManyFilesSeveralErrorsAtOnceAndFormatting() throws IOException, URISyntaxException {
        List<Path> files = corpus().toList();
        assertTrue(files.size() >= 14, "at least 14 broken files, found " + files.size());
        long withSeveral = 0;
        for (Path file : files) {
            if (expectations(Files.readString(file)).stream().filter(line -> !line.startsWith("hint: ")).count() > 1) withSeveral++;
        }
        assertTrue(withSeveral >= 3, "at least 3 files with several errors, found " + withSeveral);
        long formatted = files.stream().filter(f -> Files.exists(f.resolveSibling(f.getFileName() + ".formatted"))).count();
        assertTrue(formatted >= 2, "formatted output checked for at least 2 files, found " + formatted);
    }

    @Test
    void reportEndsWithTheErrorCount() throws IOException, URISyntaxException {
        Path file = corpus().filter(p -> p.getFileName().toString().equals("several_shape_errors.nn")).findFirst().orElseThrow();
        SourceFile source = new SourceFile(file.getFileName().toString(), Files.readString(file));

        CompileException e = assertThrows(CompileException.class, () -> Compiler.graph(source, CompileOptions.defaults()));

        assertEquals(Files.readString(file.resolveSibling("several_shape_errors.nn.formatted")) + "4 errors\n", e.report());
        assertEquals("4 errors in several_shape_errors.nn", e.getMessage());
    }

    /** The expected lines of a file: headlines, and "hint: ..." lines after the headline they belong to. */
    private static List<String> expectations(String text) {
        List<String> lines = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.startsWith(EXPECT)) {
                lines.add(line.substring(EXPECT.length()));
            } else if (line.startsWith(HINT)) {
                lines.add("hint: " + line.substring(HINT.length()));
            } else if (!line.startsWith("#")) {
                break;
            }
        }
        return lines;
    }
}

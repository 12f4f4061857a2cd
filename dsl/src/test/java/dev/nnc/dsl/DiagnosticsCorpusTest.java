package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Golden diagnostics: every {@code diagnostics/*.nn} file carries its expected diagnostics in
 * its leading comments ({@code # expect: L:C: error: message}, optionally followed by
 * {@code # hint: text}), and must produce exactly those, in order, no more and no fewer. Where a
 * {@code NAME.formatted} file exists, the formatted output must match it byte for byte.
 */
class DiagnosticsCorpusTest {

    private static final String EXPECT = "# expect: ";
    private static final String HINT = "# hint: ";

    static Stream<Path> corpus() throws IOException, URISyntaxException {
        Path dir = Path.of(DiagnosticsCorpusTest.class.getResource("/diagnostics").toURI());
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
        ParseResult result = Dsl.parseAndCheck(source);
        List<String> actual = new ArrayList<>();
        for (Diagnostic diagnostic : result.diagnostics()) {
            actual.add(diagnostic.headline());
            if (diagnostic.hint() != null) {
                actual.add("hint: " + diagnostic.hint());
            }
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual), file.getFileName().toString());

        Path formatted = file.resolveSibling(file.getFileName() + ".formatted");
        if (Files.exists(formatted)) {
            assertEquals(Files.readString(formatted), Diagnostic.formatAll(result.diagnostics(), source));
        }
    }

    @Test
    void corpusIsLargeAndCoversSeveralErrorsAtOnceAndFormatting() throws IOException, URISyntaxException {
        List<Path> files = corpus().toList();
        assertTrue(files.size() >= 32, "at least 32 broken files, found " + files.size());
        long withSeveral = 0;
        for (Path file : files) {
            if (expectations(Files.readString(file)).stream().filter(e -> !e.startsWith("hint: ")).count() > 1) {
                withSeveral++;
            }
        }
        assertTrue(withSeveral >= 4, "at least 4 files with several errors, found " + withSeveral);
        long formatted = files.stream().filter(f -> Files.exists(f.resolveSibling(f.getFileName() + ".formatted")))
                .count();
        assertTrue(formatted >= 3, "formatted output checked for at least 3 files, found " + formatted);
    }

    @Test
    void syntaxErrorsLeaveNoProgramAndSkipTheSemanticCheck() {
        ParseResult result = Dsl.parseAndCheck(new SourceFile("t.nn", "model M(x: f32[B, 4]) -> y {\n y = dens(x\n}\n"));
        assertEquals(1, result.diagnostics().size(), result.diagnostics().toString());
        assertEquals(null, result.program());
        assertFalse(result.ok());
        assertNotNull(result.diagnostics().getFirst().message());
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

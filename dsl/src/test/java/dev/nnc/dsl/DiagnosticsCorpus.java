package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The golden-diagnostics corpus format and its runner, shared by the dsl's and the compiler's corpora: each
 * {@code diagnostics/*.nn} file lists in its leading comments exactly the diagnostics it must produce, in order
 * ({@code # expect: L:C: error: message}, each optionally followed by {@code # hint: text}); where
 * {@code NAME.nn.formatted} exists, the formatted report (source line and caret) must match it byte for byte.
 */
public final class DiagnosticsCorpus {

    private static final String EXPECT = "# expect: ";
    private static final String HINT = "# hint: ";

    private DiagnosticsCorpus() {
    }

    /** The corpus files under the {@code /diagnostics} resource folder of {@code anchor}'s class path, sorted. */
    public static List<Path> files(Class<?> anchor) {
        try (Stream<Path> files = Files.list(Path.of(anchor.getResource("/diagnostics").toURI()))) {
            return files.filter(p -> p.toString().endsWith(".nn")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The source of a corpus file, named by its file name. */
    public static SourceFile source(Path file) throws IOException {
        return new SourceFile(file.getFileName().toString(), Files.readString(file));
    }

    /** Asserts that {@code produced} (for {@code file}) is exactly what the file expects, formatting included. */
    public static void assertProduces(Path file, List<Diagnostic> produced) throws IOException {
        SourceFile source = source(file);
        List<String> expected = expectations(source.text());
        assertFalse(expected.isEmpty(), "a corpus file must expect at least one diagnostic");
        List<String> actual = new ArrayList<>();
        for (Diagnostic d : produced) {
            actual.add(d.headline());
            if (d.hint() != null) actual.add("hint: " + d.hint());
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual), file.getFileName().toString());
        Path formatted = file.resolveSibling(file.getFileName() + ".formatted");
        if (Files.exists(formatted)) {
            assertEquals(Files.readString(formatted), Diagnostic.formatAll(produced, source));
        }
    }

    /** Asserts the corpus is big enough: at least so many files, files with several errors, and files with formatting checked. */
    public static void assertCoverage(List<Path> files, int minFiles, int minSeveral, int minFormatted) throws IOException {
        assertTrue(files.size() >= minFiles, "at least " + minFiles + " broken files, found " + files.size());
        long withSeveral = 0;
        for (Path file : files) {
            if (expectations(Files.readString(file)).stream().filter(line -> !line.startsWith("hint: ")).count() > 1) withSeveral++;
        }
        assertTrue(withSeveral >= minSeveral, "at least " + minSeveral + " files with several errors, found " + withSeveral);
        long formatted = files.stream().filter(f -> Files.exists(f.resolveSibling(f.getFileName() + ".formatted"))).count();
        assertTrue(formatted >= minFormatted, "formatted output checked for at least " + minFormatted + " files, found " + formatted);
    }

    /** The expected lines of a file: headlines, and "hint: ..." lines after the headline they belong to. */
    static List<String> expectations(String text) {
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

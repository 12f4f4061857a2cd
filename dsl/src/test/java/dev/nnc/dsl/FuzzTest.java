package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.dsl.ast.AstPrinter;
import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random mutations of valid files never make the front end throw: every input yields either a
 * program or at least one error, and every diagnostic can be formatted.
 */
class FuzzTest {

    private static final List<String> FRAGMENTS = List.of("(", ")", "{", "}", "[", "]", ",", ":", ";", "|>", "->",
            "<=", "=", "+", "-", "*", "/", "\"", "#", "\n", " ", "model", "block", "train", "return", "x", "B", "1",
            "1e-3", ".5", "@", "\t", "target", "on", "dense", "99999999999999999999");

    @Test
    void randomMutationsNeverThrow() throws IOException {
        Random random = new Random(20261121L);
        List<String> seeds = List.of(ParseTest.resource("/valid/language_tour.nn"),
                ParseTest.resource("/valid/architectures.nn"));
        int withProgram = 0;
        for (int i = 0; i < 1000; i++) {
            StringBuilder text = new StringBuilder(seeds.get(i % seeds.size()));
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                mutate(text, random);
            }
            SourceFile source = new SourceFile("fuzz.nn", text.toString());
            ParseResult result = Dsl.parseAndCheck(source);
            assertNotNull(result.diagnostics());
            if (result.program() == null) {
                assertFalse(result.ok(), "no program without an error");
            } else {
                withProgram++;
                assertNotNull(AstPrinter.print(result.program()));
            }
            assertNotNull(Diagnostic.formatAll(result.diagnostics(), source));
        }
        assertTrue(withProgram > 0, "some mutations still parse, so the checker is fuzzed too");
    }

    @Test
    void pathologicalInputsGiveDiagnosticsNotExceptions() {
        List<String> inputs = List.of("", "\"", "model", "model M(", "}}}}", "\u0000\uffff",
                "model M(x: f32[B, 4]) -> y { y = " + "(".repeat(20_000) + "x" + ")".repeat(20_000) + " }",
                "model M(x: f32[B, 4]) -> y { y = x" + " + x".repeat(20_000) + " }",
                "model M(x: f32[B, 4]) -> y { y = " + "-".repeat(20_000) + "x }");
        for (String input : inputs) {
            ParseResult result = Dsl.parseAndCheck(new SourceFile("p.nn", input));
            assertNotNull(result.diagnostics());
        }
        assertEquals(List.of(), Dsl.parseAndCheck(new SourceFile("empty.nn", "# nothing\n")).diagnostics());
    }

    private static void mutate(StringBuilder text, Random random) {
        int at = random.nextInt(text.length() + 1);
        switch (random.nextInt(3)) {
            case 0 -> text.insert(at, FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
            case 1 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(6)));
            default -> {
                int from = random.nextInt(text.length() + 1);
                int to = Math.min(text.length(), from + random.nextInt(12));
                text.insert(at, text.substring(from, to));
            }
        }
    }
}

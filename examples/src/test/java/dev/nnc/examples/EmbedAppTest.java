package dev.nnc.examples;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs {@link EmbedApp} in-process on a compiled example model and on bad command lines. */
class EmbedAppTest {

    @TempDir
    static Path dir;

    private static Path mlp;

    @BeforeAll
    static void compileMlp() throws Exception {
        mlp = ExampleArtifacts.compileWithFixtureWeights("mlp", dir);
    }

    @Test
    void printsSignatureAndTheWinningClassOfAGreyInput() throws Exception {
        float[] probs = probabilitiesOfGreyInput(mlp);
        int best = EmbedApp.argmax(probs);

        Outcome outcome = Outcome.run(mlp.toString());

        assertEquals(0, outcome.exitCode(), outcome.err());
        assertEquals("", outcome.err());
        String expected = String.join(System.lineSeparator(),
                "inputs:  [x: f32[B, 784]]",
                "outputs: [probs: f32[B, 10]]",
                String.format(Locale.ROOT, "input x = 0.5, batch 1 -> probs: argmax %d, value %.6f", best, probs[best]),
                "");
        assertEquals(expected, outcome.out());
    }

    @Test
    void withoutArgumentsPrintsUsageAndExitsWithOne() {
        Outcome outcome = Outcome.run();

        assertEquals(1, outcome.exitCode());
        assertEquals("", outcome.out());
        assertTrue(outcome.err().startsWith("usage: EmbedApp MODEL.nnc"), outcome.err());
    }

    @Test
    void anOptionInsteadOfAFileIsAUsageError() {
        Outcome outcome = Outcome.run("--help");

        assertEquals(1, outcome.exitCode());
        assertTrue(outcome.err().startsWith("usage: EmbedApp MODEL.nnc"), outcome.err());
    }

    @Test
    void aMissingFileIsReportedByName() {
        Path missing = dir.resolve("missing.nnc");

        Outcome outcome = Outcome.run(missing.toString());

        assertEquals(1, outcome.exitCode());
        assertEquals("", outcome.out());
        assertTrue(outcome.err().startsWith("EmbedApp: no such file: " + missing), outcome.err());
    }

    @Test
    void aDamagedArtifactIsAnErrorMessageNotACrash() throws Exception {
        Path damaged = dir.resolve("damaged.nnc");
        byte[] bytes = Files.readAllBytes(mlp);
        Files.write(damaged, Arrays.copyOf(bytes, bytes.length / 2));

        Outcome outcome = Outcome.run(damaged.toString());

        assertEquals(1, outcome.exitCode());
        assertTrue(outcome.err().startsWith("EmbedApp: cannot load " + damaged), outcome.err());
    }

    /** What the runtime itself computes for the app's input: one row of {@link EmbedApp#PIXEL_VALUE}. */
    private static float[] probabilitiesOfGreyInput(Path artifact) throws Exception {
        float[] pixels = new float[784];
        Arrays.fill(pixels, EmbedApp.PIXEL_VALUE);
        try (NncModel model = NncModel.load(artifact);
             Session session = model.newSession()) {
            return session.run(Map.of("x", Tensor.of(pixels, 1, 784))).get("probs").toFloatArray();
        }
    }

    /** The exit code and the captured standard output and error of one {@link EmbedApp#run} call. */
    private record Outcome(int exitCode, String out, String err) {

        static Outcome run(String... args) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exitCode;
            try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
                 PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                exitCode = EmbedApp.run(args, outStream, errStream);
            }
            return new Outcome(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }
}

package dev.nnc.examples;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks that the example models, compiled with the PyTorch fixture weights, give PyTorch's probabilities.
 *
 * <p>Tolerance, per element: {@code |nnc − torch| ≤ 1e-5·|torch| + 1e-9}. Both sides compute in f32 but sum in
 * different orders (nnc's GEMM and convolution kernels vs. PyTorch's BLAS), so each logit carries an absolute error of
 * a few ulps of its partial sums; softmax turns an absolute logit error ε into a relative probability error of at
 * most 2ε. The largest relative error measured on these fixtures is 3.0e-6 (mlp, batch 7; lenet 1.5e-6), so 1e-5
 * leaves about 3× room for another summation order, while a wrong weight, index or bias moves probabilities by orders
 * of magnitude more. The absolute 1e-9 is only a floor for probabilities below 1e-4, where f32 rounding of
 * {@code exp} dominates; the smallest fixture probability is 6.2e-4, so every element here is held to the relative
 * bound.
 */
class PyTorchParityTest {

    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final double ABSOLUTE_TOLERANCE = 1e-9;
    private static final int CLASSES = 10;

    @TempDir
    static Path artifacts;

    private static final Map<String, Path> COMPILED = new HashMap<>();

    @BeforeAll
    static void compileExamples() throws Exception {
        for (String model : new String[] {"mlp", "lenet"}) {
            COMPILED.put(model, ExampleArtifacts.compileWithFixtureWeights(model, artifacts));
        }
    }

    @ParameterizedTest(name = "{0} batch {1}")
    @CsvSource({"mlp, 1", "mlp, 7", "lenet, 1", "lenet, 7"})
    void probabilitiesMatchPyTorch(String model, int batch) throws Exception {
        Tensor x = ExampleArtifacts.readFixture(model, "x_b" + batch);
        Tensor expected = ExampleArtifacts.readFixture(model, "probs_b" + batch);

        Tensor probs;
        try (NncModel loaded = NncModel.load(COMPILED.get(model));
             Session session = loaded.newSession()) {
            probs = session.run(Map.of("x", x)).get("probs");
        }

        assertArrayEquals(expected.shape(), probs.shape(), "probs shape");
        float[] actual = probs.toFloatArray();
        float[] reference = expected.toFloatArray();
        for (int i = 0; i < reference.length; i++) {
            double bound = RELATIVE_TOLERANCE * Math.abs(reference[i]) + ABSOLUTE_TOLERANCE;
            double error = Math.abs(actual[i] - reference[i]);
            if (!(error <= bound)) {
                fail("%s batch %d: probs[%d, %d] = %s, PyTorch %s, |difference| %.3g > %.3g"
                        .formatted(model, batch, i / CLASSES, i % CLASSES, actual[i], reference[i], error, bound));
            }
        }
    }

    /** Guards the parity test against fixtures so flat that any model would pass: the winning class varies by row. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mlp", "lenet"})
    void fixtureRowsHaveDifferentWinners(String model) {
        float[] probs = ExampleArtifacts.readFixture(model, "probs_b7").toFloatArray();
        Set<Integer> winners = new HashSet<>();
        for (int row = 0; row < 7; row++) {
            winners.add(EmbedApp.argmax(Arrays.copyOfRange(probs, row * CLASSES, (row + 1) * CLASSES)));
        }
        assertTrue(winners.size() > 1, model + ": all seven fixture rows pick class " + winners);
    }
}

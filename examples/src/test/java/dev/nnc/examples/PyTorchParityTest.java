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
 * Checks that every example model, compiled with the PyTorch fixture weights, gives PyTorch's outputs: the
 * probabilities of the classifiers (mlp, lenet, resnet_block, rnn, lstm, transformer) and the reconstructions of the
 * autoencoder, at batch 1 and 7.
 *
 * <p>Tolerance, per element: {@code |nnc − torch| ≤ 1e-5·|torch| + 1e-9}. Both sides compute in f32 but sum in
 * different orders (nnc's GEMM, convolution, recurrent and reduction kernels vs. PyTorch's BLAS and native layers),
 * so each logit carries an absolute error of a few ulps of its partial sums; softmax turns an absolute logit error ε
 * into a relative probability error of at most 2ε, whatever the probability's size, so even the smallest fixture
 * probability (5.1e-7, resnet_block) is held to the relative bound; a sigmoid output's relative error is at most its
 * logit's absolute error. Batchnorm (with non-trivial running statistics), layernorm, the 32-step RNN and LSTM and
 * attention add only a few more roundings per element. The largest relative error measured on these fixtures is
 * {@value #LARGEST_MEASURED} (see {@link #outputsMatchPyTorch}'s message), so 1e-5 leaves room for another summation
 * order, while a wrong weight, gate order, index or running statistic moves outputs by orders of magnitude more. The
 * absolute 1e-9 is only a floor for outputs within a few f32 ulps of zero, where a relative bound would measure
 * rounding; no fixture output is that small.
 */
class PyTorchParityTest {

    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final double ABSOLUTE_TOLERANCE = 1e-9;
    private static final String LARGEST_MEASURED = "3.0e-6";

    /** The rows of the batch-7 fixtures must differ by more than this somewhere, or the fixture tests too little. */
    private static final double MINIMUM_ROW_SPREAD = 0.1;

    private static final String[] MODELS = {"mlp", "lenet", "resnet_block", "rnn", "lstm", "transformer", "autoencoder"};

    @TempDir
    static Path artifacts;

    private static final Map<String, Path> COMPILED = new HashMap<>();

    @BeforeAll
    static void compileExamples() throws Exception {
        for (String model : MODELS) {
            COMPILED.put(model, ExampleArtifacts.compileWithFixtureWeights(model, artifacts));
        }
    }

    @ParameterizedTest(name = "{0} {1} batch {2}")
    @CsvSource({
            "mlp, probs, 1", "mlp, probs, 7",
            "lenet, probs, 1", "lenet, probs, 7",
            "resnet_block, probs, 1", "resnet_block, probs, 7",
            "rnn, probs, 1", "rnn, probs, 7",
            "lstm, probs, 1", "lstm, probs, 7",
            "transformer, probs, 1", "transformer, probs, 7",
            "autoencoder, recon, 1", "autoencoder, recon, 7"})
    void outputsMatchPyTorch(String model, String output, int batch) throws Exception {
        Tensor x = ExampleArtifacts.readFixture(model, "x_b" + batch);
        Tensor expected = ExampleArtifacts.readFixture(model, output + "_b" + batch);

        Tensor actualTensor;
        try (NncModel loaded = NncModel.load(COMPILED.get(model));
             Session session = loaded.newSession()) {
            actualTensor = session.run(Map.of("x", x)).get(output);
        }

        assertArrayEquals(expected.shape(), actualTensor.shape(), output + " shape");
        long[] shape = expected.shape();
        int rowLength = Math.toIntExact(shape[shape.length - 1]);
        float[] actual = actualTensor.toFloatArray();
        float[] reference = expected.toFloatArray();
        double largestRelative = 0;
        for (int i = 0; i < reference.length; i++) {
            double bound = RELATIVE_TOLERANCE * Math.abs(reference[i]) + ABSOLUTE_TOLERANCE;
            double error = Math.abs(actual[i] - reference[i]);
            if (!(error <= bound)) {
                fail("%s batch %d: %s[%d, %d] = %s, PyTorch %s, |difference| %.3g > %.3g"
                        .formatted(model, batch, output, i / rowLength, i % rowLength, actual[i], reference[i], error, bound));
            }
            largestRelative = Math.max(largestRelative, error / Math.abs(reference[i]));
        }
        System.out.printf("%s %s batch %d: largest relative error %.2e%n", model, output, batch, largestRelative);
    }

    /** Guards the parity test against fixtures so flat that a model ignoring its input would pass: rows differ. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mlp, logits", "lenet, logits", "resnet_block, logits", "rnn, logits", "lstm, logits", "transformer, logits",
            "autoencoder, recon"})
    void fixtureRowsDiffer(String model, String output) {
        Tensor values = ExampleArtifacts.readFixture(model, output + "_b7");
        int rowLength = Math.toIntExact(values.shape()[1]);
        float[] data = values.toFloatArray();
        double spread = 0;
        for (int i = rowLength; i < data.length; i++) {
            spread = Math.max(spread, Math.abs(data[i] - data[i % rowLength]));
        }
        assertTrue(spread > MINIMUM_ROW_SPREAD, model + ": the seven fixture rows of " + output + " differ by at most " + spread);
    }

    /** For mlp, lenet and transformer even the winning class varies by row (the others are checked by spread only). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"mlp", "lenet", "transformer"})
    void fixtureRowsHaveDifferentWinners(String model) {
        Tensor probs = ExampleArtifacts.readFixture(model, "probs_b7");
        int classes = Math.toIntExact(probs.shape()[1]);
        float[] values = probs.toFloatArray();
        Set<Integer> winners = new HashSet<>();
        for (int row = 0; row < 7; row++) {
            winners.add(EmbedApp.argmax(Arrays.copyOfRange(values, row * classes, (row + 1) * classes)));
        }
        assertTrue(winners.size() > 1, model + ": all seven fixture rows pick class " + winners);
    }
}

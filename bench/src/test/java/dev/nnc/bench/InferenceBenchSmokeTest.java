package dev.nnc.bench;

import dev.nnc.runtime.DType;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the benchmark's setup, one call and teardown outside JMH, so a broken benchmark fails the build, not the run. */
class InferenceBenchSmokeTest {

    @Test
    void findsTheRepositoryRootFromTheModuleDirectory() {
        assertTrue(Files.isRegularFile(ExampleModels.repositoryRoot().resolve("examples/mlp.nn")));
    }

    @Test
    void oneMlpInferenceAtBatchTwoGivesTwoProbabilityRows() throws Exception {
        InferenceBench bench = new InferenceBench();
        bench.model = "mlp";
        bench.batch = 2;
        bench.setUp();
        try {
            Map<String, Tensor> outputs = bench.infer();
            Tensor probs = outputs.get("probs");
            assertArrayEquals(new long[] {2, 10}, probs.shape());
            float[] values = probs.toFloatArray();
            for (int row = 0; row < 2; row++) {
                double sum = 0;
                for (int k = 0; k < 10; k++) {
                    sum += values[row * 10 + k];
                }
                assertEquals(1.0, sum, 1e-5, "row " + row + " of a softmax sums to 1 (10 f32 terms, rounding ≤ 1e-6)");
            }
        } finally {
            bench.tearDown();
        }
    }

    @Test
    void inputsAreTheSameEveryTime() {
        TensorSpec spec = TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 4);
        assertArrayEquals(DeterministicInputs.uniform(spec, 3).toFloatArray(), DeterministicInputs.uniform(spec, 3).toFloatArray());
        assertArrayEquals(new long[] {3, 4}, DeterministicInputs.uniform(spec, 3).shape());
    }
}

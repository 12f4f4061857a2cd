package dev.nnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * Every compiled model agrees with the reference interpreter on random inputs and weights, at batch 1, 7 and
 * the maximum, and every generated class passes ASM's verifier.
 */
class CompiledVsInterpreterTest {

    /**
     * The compiled code computes in float32, the interpreter in float64. A float32 dot product of length k has an
     * error of about √k·2⁻²⁴ relative to Σ|aᵢbᵢ|, which for the sums here (k ≤ 784, |values| ≤ 0.5) stays below
     * 1e-6 of the largest output magnitude. So each element must agree to 1e-5 relative, with an absolute floor
     * of 1e-5 × the output's largest magnitude for elements that cancel to near zero.
     */
    private static final double RELATIVE = 1e-5;

    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return TestModels.models().keySet().stream()
                .flatMap(model -> Stream.of(1, 7, -1).map(batch -> Arguments.of(model, batch)));
    }

    @ParameterizedTest(name = "{0} at batch {1}")
    @MethodSource("cases")
    void compiledMatchesInterpreter(String model, int requestedBatch) throws Exception {
        Graph g = TestModels.graph(model);
        int batch = requestedBatch < 0 ? g.maxBatch() : requestedBatch;
        Map<String, NdArray> params = TestModels.randomParams(g, 42);
        Map<String, NdArray> inputs = TestModels.randomInputs(g, batch, 7 + batch);
        Map<String, NdArray> expected = Interpreter.run(g, inputs, params);

        Path weights = TestModels.writeWeights(g, params, dir.resolve("w.safetensors"));
        Compiler.Compilation c = Compiler.compile(TestModels.source(TestModels.models().get(model)), CompileOptions.defaults().withWeights(weights));
        Path artifact = dir.resolve(model + ".nnc");
        Compiler.writeArtifact(c, artifact);

        Map<String, Tensor> feed = new LinkedHashMap<>();
        for (dev.nnc.compiler.ir.Value v : g.inputs()) feed.put(v.name(), TestModels.tensor(inputs.get(v.name()), v.type().dtype()));
        try (NncModel m = NncModel.load(artifact); Session s = m.newSession()) {
            Map<String, Tensor> actual = s.run(feed);
            assertEquals(expected.keySet(), actual.keySet());
            for (String name : expected.keySet()) assertClose(name, expected.get(name), actual.get(name));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modelNames")
    void generatedClassPassesCheckClassAdapter(String model) throws Exception {
        Compiler.Compilation c = Compiler.compile(TestModels.source(TestModels.models().get(model)), CompileOptions.defaults());
        StringWriter problems = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(c.classFile()), getClass().getClassLoader(), false, new PrintWriter(problems));
        assertEquals("", problems.toString(), "verifier output for " + model);
    }

    static Stream<String> modelNames() {
        return TestModels.models().keySet().stream();
    }

    @Test
    void smallerBatchUsesPrefixOfSamePlan() throws Exception {
        Graph g = TestModels.graph("mlp");
        Map<String, NdArray> params = TestModels.randomParams(g, 1);
        Path weights = TestModels.writeWeights(g, params, dir.resolve("w.safetensors"));
        Compiler.Compilation c = Compiler.compile(TestModels.source(TestModels.models().get("mlp")), CompileOptions.defaults().withWeights(weights));
        Path artifact = dir.resolve("mlp.nnc");
        Compiler.writeArtifact(c, artifact);
        Map<String, NdArray> big = TestModels.randomInputs(g, 5, 3);
        float[] all = big.get("x").toFloats();
        try (NncModel m = NncModel.load(artifact); Session s = m.newSession()) {
            float[] five = s.run(Map.of("x", Tensor.of(all, 5, 784))).get("probs").toFloatArray();
            float[] two = s.run(Map.of("x", Tensor.of(Arrays.copyOf(all, 2 * 784), 2, 784))).get("probs").toFloatArray();
            // GEMM may sum in another order for another row count, so rows agree to float rounding, not bit for bit.
            for (int i = 0; i < two.length; i++) {
                assertEquals(five[i], two[i], RELATIVE * Math.max(1e-3, Math.abs(five[i])), "probs[" + i + "]");
            }
        }
    }

    static void assertClose(String name, NdArray expected, Tensor actual) {
        assertTrue(Arrays.equals(expected.shape(), actual.shape()),
                name + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape()));
        float[] a = actual.toFloatArray();
        double scale = Arrays.stream(expected.data()).map(Math::abs).max().orElse(0);
        for (int i = 0; i < a.length; i++) {
            double e = expected.data()[i];
            double tolerance = RELATIVE * Math.max(Math.abs(e), scale);
            if (!(Math.abs(a[i] - e) <= tolerance)) {
                throw new AssertionError(name + "[" + i + "] = " + a[i] + ", interpreter says " + e + " (tolerance " + tolerance + ")");
            }
        }
    }
}

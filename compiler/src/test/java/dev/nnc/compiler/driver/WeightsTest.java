package dev.nnc.compiler.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.Safetensors;
import dev.nnc.runtime.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading parameters from safetensors files, and drawing them from a seed. */
class WeightsTest {

    /** A model with parameters fc1.weight [3, 4], fc1.bias [3], fc2.weight [2, 3], fc2.bias [2]. */
    private static final String MODEL = """
            model Small(x: f32[B, 4]) -> y {
                y = x |> dense(3) |> relu |> dense(2)
            }
            """;

    private static Graph small;

    @TempDir
    Path dir;

    @BeforeAll
    static void lower() throws CompileException {
        small = Compiler.graph(new SourceFile("small.nn", MODEL), CompileOptions.defaults());
    }

    @Test
    void aFileWithEveryParameterLoadsExactly() throws Exception {
        Path file = write(List.of(
                f32("fc1.weight", sequence(12, 0.5f), 3, 4), f32("fc1.bias", sequence(3, -1), 3),
                f32("fc2.weight", sequence(6, 0.25f), 2, 3), f32("fc2.bias", sequence(2, 7), 2)));

        Map<String, float[]> values = Weights.load(small, file);

        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), List.copyOf(values.keySet()));
        assertArrayEquals(sequence(12, 0.5f), values.get("fc1.weight"));
        assertArrayEquals(sequence(3, -1), values.get("fc1.bias"));
        assertArrayEquals(sequence(6, 0.25f), values.get("fc2.weight"));
        assertArrayEquals(sequence(2, 7), values.get("fc2.bias"));
    }

    @Test
    void tensorsStoredInAnotherOrderLoadByName() throws Exception {
        Path file = write(List.of(
                f32("fc2.bias", sequence(2, 7), 2), f32("fc1.weight", sequence(12, 0.5f), 3, 4),
                f32("fc2.weight", sequence(6, 0.25f), 2, 3), f32("fc1.bias", sequence(3, -1), 3)));

        Map<String, float[]> values = Weights.load(small, file);

        assertArrayEquals(sequence(3, -1), values.get("fc1.bias"));
        assertArrayEquals(sequence(2, 7), values.get("fc2.bias"));
    }

    @Test
    void aMissingTensorIsNamedWithItsShape() throws Exception {
        Path file = write(List.of(
                f32("fc1.weight", new float[12], 3, 4), f32("fc1.bias", new float[3], 3), f32("fc2.weight", new float[6], 2, 3)));

        WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, file));

        assertTrue(e.getMessage().startsWith(file + " does not fit model Small:"), e.getMessage());
        assertTrue(e.getMessage().contains("missing tensor `fc2.bias` [2]"), e.getMessage());
    }

    @Test
    void anExtraTensorIsNamed() throws Exception {
        Path file = write(List.of(
                f32("fc1.weight", new float[12], 3, 4), f32("fc1.bias", new float[3], 3),
                f32("fc2.weight", new float[6], 2, 3), f32("fc2.bias", new float[2], 2), f32("fc3.weight", new float[4], 2, 2)));

        WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, file));

        assertTrue(e.getMessage().contains("unexpected tensor `fc3.weight` (the model has no such parameter)"), e.getMessage());
        assertFalse(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void aMisShapedTensorIsNamedWithBothShapes() throws Exception {
        Path file = write(List.of(
                f32("fc1.weight", new float[12], 4, 3), f32("fc1.bias", new float[3], 3),
                f32("fc2.weight", new float[6], 2, 3), f32("fc2.bias", new float[2], 2)));

        WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, file));

        assertTrue(e.getMessage().contains("tensor `fc1.weight` has shape [4, 3], the model expects [3, 4]"), e.getMessage());
    }

    @Test
    void aNonF32TensorIsNamedWithItsDtype() throws Exception {
        Path file = write(List.of(
                f32("fc1.weight", new float[12], 3, 4), f32("fc1.bias", new float[3], 3),
                f32("fc2.weight", new float[6], 2, 3),
                new Tensor(TensorSpec.of("fc2.bias", DType.I32, 2), MemorySegment.ofArray(new int[] {1, 2}))));

        WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, file));

        assertTrue(e.getMessage().contains("tensor `fc2.bias` is I32, expected F32"), e.getMessage());
    }

    @Test
    void everyProblemIsReportedAtOnce() throws Exception {
        Path file = write(List.of(f32("fc1.weight", new float[12], 4, 3), f32("head.bias", new float[3], 3)));

        WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, file));

        for (String problem : List.of("tensor `fc1.weight` has shape", "missing tensor `fc1.bias`", "missing tensor `fc2.weight`",
                "missing tensor `fc2.bias`", "unexpected tensor `head.bias`")) {
            assertTrue(e.getMessage().contains(problem), problem + " in " + e.getMessage());
        }
    }

    @Test
    void corruptOrMissingFilesAreRefusedWithTheirPath() throws Exception {
        Path valid = write(List.of(
                f32("fc1.weight", new float[12], 3, 4), f32("fc1.bias", new float[3], 3),
                f32("fc2.weight", new float[6], 2, 3), f32("fc2.bias", new float[2], 2)));
        byte[] bytes = Files.readAllBytes(valid);
        Path truncated = Files.write(dir.resolve("truncated.safetensors"), Arrays.copyOf(bytes, bytes.length - 5));
        Path garbage = Files.writeString(dir.resolve("garbage.safetensors"), "this is not a safetensors file at all");
        Path missing = dir.resolve("missing.safetensors");

        for (Path bad : List.of(truncated, garbage)) {
            WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, bad));
            assertTrue(e.getMessage().startsWith(bad + ": not a valid safetensors file: "), e.getMessage());
        }
        WeightsException e = assertThrows(WeightsException.class, () -> Weights.load(small, missing));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void initializationIsDeterministicPerSeed() {
        Map<String, float[]> first = Weights.initialize(small, 42);
        Map<String, float[]> again = Weights.initialize(small, 42);
        Map<String, float[]> other = Weights.initialize(small, 43);

        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), List.copyOf(first.keySet()));
        for (String name : first.keySet()) assertArrayEquals(first.get(name), again.get(name), name);
        assertFalse(Arrays.equals(first.get("fc1.weight"), other.get("fc1.weight")));
        assertFalse(Arrays.equals(first.get("fc2.weight"), other.get("fc2.weight")));
        assertFalse(Arrays.equals(first.get("fc1.weight"), Arrays.copyOf(first.get("fc2.weight"), 12)), "each parameter has its own stream");
    }

    @Test
    void addingALayerLeavesTheOtherParametersUnchanged() throws CompileException {
        Graph longer = Compiler.graph(new SourceFile("longer.nn", """
                model Small(x: f32[B, 4]) -> y {
                    y = x |> dense(3) |> relu |> dense(2) |> relu |> dense(5)
                }
                """), CompileOptions.defaults());

        Map<String, float[]> before = Weights.initialize(small, 7);
        Map<String, float[]> after = Weights.initialize(longer, 7);

        for (String name : before.keySet()) assertArrayEquals(before.get(name), after.get(name), name);
    }

    @Test
    void heUniformWeightsStayWithinTheirBoundAndBiasesAreZero() throws CompileException {
        Graph wide = Compiler.graph(new SourceFile("wide.nn", """
                model Wide(x: f32[B, 600]) -> y {
                    y = x |> dense(100)
                }
                """), CompileOptions.defaults());

        Map<String, float[]> values = Weights.initialize(wide, 3);

        double bound = Math.sqrt(6.0 / 600);
        float[] w = values.get("fc1.weight");
        assertEquals(60_000, w.length);
        double max = 0;
        double sum = 0;
        for (float v : w) {
            assertTrue(Math.abs(v) <= bound, v + " exceeds the He-uniform bound " + bound);
            max = Math.max(max, Math.abs(v));
            sum += v;
        }
        // 60,000 draws from U(-a, a): the largest |v| is within 0.1% of a with overwhelming probability, and the mean's
        // standard deviation is a/sqrt(3·60000) ≈ 0.0024·a, so 0.02·a is more than eight sigmas.
        assertTrue(max > 0.999 * bound, "largest |w| " + max + " of bound " + bound);
        assertTrue(Math.abs(sum / w.length) < 0.02 * bound, "mean " + sum / w.length);
        assertArrayEquals(new float[100], values.get("fc1.bias"));
    }

    private record Tensor(TensorSpec spec, MemorySegment data) {}

    private Path write(List<Tensor> tensors) throws IOException {
        Path file = Files.createTempFile(dir, "weights", ".safetensors");
        List<TensorSpec> specs = new ArrayList<>();
        List<MemorySegment> data = new ArrayList<>();
        for (Tensor t : tensors) {
            specs.add(t.spec());
            data.add(t.data());
        }
        Safetensors.write(file, specs, data, Map.of());
        return file;
    }

    private static Tensor f32(String name, float[] values, long... shape) {
        return new Tensor(TensorSpec.of(name, DType.F32, shape), MemorySegment.ofArray(values));
    }

    private static float[] sequence(int n, float start) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = start + 0.125f * i;
        return values;
    }
}

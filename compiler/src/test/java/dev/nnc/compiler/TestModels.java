package dev.nnc.compiler;

import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.Safetensors;
import dev.nnc.runtime.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Shared fixtures for compiler tests: the example models, random weights and inputs. */
public final class TestModels {

    private TestModels() {}

    /** The repository root (the folder holding {@code examples/}), found from the module's working directory. */
    public static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("examples"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
        return dir;
    }

    /** The example models and the test-only zoo, by name. */
    public static Map<String, Path> models() {
        Map<String, Path> models = new LinkedHashMap<>();
        models.put("mlp", repoRoot().resolve("examples/mlp.nn"));
        models.put("lenet", repoRoot().resolve("examples/lenet.nn"));
        models.put("zoo", repoRoot().resolve("compiler/src/test/resources/models/zoo.nn"));
        models.put("layers", repoRoot().resolve("compiler/src/test/resources/models/layers.nn"));
        return models;
    }

    public static SourceFile source(Path file) {
        try {
            return new SourceFile(file.toString(), Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Graph graph(String model) throws Exception {
        return Compiler.graph(source(models().get(model)), CompileOptions.defaults());
    }

    /** Uniform(−0.5, 0.5) values for every parameter (biases too, unlike the default init); variances in (0.5, 1.5). */
    public static Map<String, NdArray> randomParams(Graph g, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Param p : g.params()) {
            NdArray a = random(p.value().shape().sizes(1), random);
            if (p.name().endsWith(".running_var")) for (int i = 0; i < a.data().length; i++) a.data()[i] += 1;
            params.put(p.name(), a);
        }
        return params;
    }

    /** Uniform(−0.5, 0.5) inputs at {@code batch}; i32 inputs (indices, labels) are drawn from 0..3. */
    public static Map<String, NdArray> randomInputs(Graph g, int batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NdArray> inputs = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            NdArray a = random(v.shape().sizes(batch), random);
            if (v.type().dtype() == dev.nnc.runtime.DType.I32) for (int i = 0; i < a.data().length; i++) a.data()[i] = random.nextInt(4);
            inputs.put(v.name(), a);
        }
        return inputs;
    }

    /** The runtime tensor of an interpreter array of type {@code dtype}. */
    public static dev.nnc.runtime.Tensor tensor(NdArray a, dev.nnc.runtime.DType dtype) {
        if (dtype == dev.nnc.runtime.DType.F32) return dev.nnc.runtime.Tensor.of(a.toFloats(), a.shape());
        int[] ints = new int[a.data().length];
        for (int i = 0; i < ints.length; i++) ints[i] = (int) a.data()[i];
        return dev.nnc.runtime.Tensor.ofInts(ints, a.shape());
    }

    private static NdArray random(long[] shape, SplittableRandom random) {
        NdArray a = NdArray.zeros(shape);
        for (int i = 0; i < a.data().length; i++) a.data()[i] = (float) (random.nextDouble() - 0.5);
        return a;
    }

    /** Writes {@code params} as a safetensors file in declaration order. */
    public static Path writeWeights(Graph g, Map<String, NdArray> params, Path file) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        List<MemorySegment> data = new ArrayList<>();
        for (Param p : g.params()) {
            specs.add(new TensorSpec(p.name(), p.value().type().dtype(), p.value().shape().sizes(1)));
            data.add(MemorySegment.ofArray(params.get(p.name()).toFloats()));
        }
        Safetensors.write(file, specs, data, Map.of());
        return file;
    }
}

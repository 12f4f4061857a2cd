package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.OpenClDevices;
import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.emit.OpenClEmitter;
import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.OpenClSchedule;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.opencl.OpenClModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenCL backend's inference agrees with the reference interpreter on 40 of the random graphs of
 * {@link FusionPropertyTest} at -O0 and -O2 (all 200 passed once, in 5 minutes) (the same memory plan, buffer reuse and in-place writes included), and
 * with the JVM backend on every example and the layer zoo at batch 1, 7 and the maximum ({@link OpenClTrainingTest} trains them). Runs on any OpenCL device (PoCL here and in CI); without
 * one the tests are skipped, unless {@code -Dnnc.opencl.required=true} (CI) makes that a failure.
 */
class OpenClBackendTest {

    /** OpenCL's exp, tanh and erf are within a few ulp, not FloatMath's bits: 1e-5 of each output's scale, as for the JVM. */
    private static final double TOLERANCE = 1e-5;

    @BeforeAll
    static void needsADevice() {
        OpenClDevices.assumeOne();
    }

    static Stream<Long> seeds() {
        return IntStream.range(0, 40).mapToObj(i -> (long) i);   // each builds two programs, ~0.4 s apiece on PoCL
    }

    @ParameterizedTest(name = "graph {0}")
    @MethodSource("seeds")
    void randomGraphsMatchTheInterpreter(long seed) throws Exception {
        Graph g = FusionPropertyTest.randomGraph(seed);
        SplittableRandom random = new SplittableRandom(seed * 31 + 7);
        int batch = 1 + (int) (seed % g.maxBatch());
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Param p : g.params()) params.put(p.name(), random(p.value().shape().sizes(1), random));
        Map<String, NdArray> inputs = new LinkedHashMap<>();
        for (Value v : g.inputs()) inputs.put(v.name(), random(v.shape().sizes(batch), random));
        Map<String, NdArray> expected = Interpreter.run(g, inputs, params);
        for (OptLevel level : OptLevel.values()) {
            Compiler.CompiledGraph c = Compiler.compileGraph(g, level);
            OpenClSchedule schedule = OpenClEmitter.emit(c.kernels(), c.plan());
            try (Arena arena = Arena.ofConfined()) {
                long weightBytes = 64;
                for (Param p : c.graph().weights()) weightBytes = Math.max(weightBytes, c.weightOffsets().get(p.name()) + 4 * p.value().shape().numel(1));
                MemorySegment weights = arena.allocate(weightBytes, 64);
                for (Param p : c.graph().weights()) {
                    MemorySegment.copy(params.get(p.name()).toFloats(), 0, weights, ValueLayout.JAVA_FLOAT, c.weightOffsets().get(p.name()),
                            (int) p.value().shape().numel(1));
                }
                MemorySegment host = arena.allocate(Math.max(64, c.plan().arenaBytes()), 64);
                c.kernels().inputs().forEach((name, o) -> {
                    float[] data = inputs.get(name).toFloats();
                    MemorySegment.copy(data, 0, host, ValueLayout.JAVA_FLOAT, 4 * c.plan().floatIndex(o), data.length);
                });
                try (OpenClModel model = OpenClModel.create(host.byteSize(), weights, schedule)) {
                    model.runArena(host, batch);
                }
                for (Map.Entry<String, NdArray> e : expected.entrySet()) {
                    double[] want = e.getValue().data();
                    float[] got = new float[want.length];
                    MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 4 * c.plan().floatIndex(c.kernels().outputs().get(e.getKey())), got, 0, got.length);
                    double scale = 1e-3;
                    for (double w : want) scale = Math.max(scale, Math.abs(w));
                    for (int i = 0; i < want.length; i++) {
                        assertTrue(Math.abs(want[i] - got[i]) <= TOLERANCE * scale,
                                "graph " + seed + " " + level + " output " + e.getKey() + "[" + i + "]: OpenCL " + got[i] + ", interpreter " + want[i]
                                        + "\n" + schedule.source());
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.nnc.compiler.kernel.OpenClTrainingTest#models")
    void examplesMatchTheJvmBackend(String example, @TempDir Path dir) throws Exception {
        Path source = TestModels.repoRoot().resolve(example);
        for (OptLevel level : OptLevel.values()) {
            Compiler.Compilation c = Compiler.compile(new SourceFile(source.toString(), Files.readString(source)), CompileOptions.defaults().withOpt(level));
            Path artifact = dir.resolve(level + ".nnc");
            Compiler.writeArtifact(c, artifact);
            try (NncModel model = NncModel.load(artifact); Session session = model.newSession(); OpenClModel device = OpenClModel.load(model)) {
                for (int batch : new int[] {1, Math.min(7, model.manifest().maxBatch()), model.manifest().maxBatch()}) {
                    Map<String, Tensor> inputs = new LinkedHashMap<>();
                    SplittableRandom random = new SplittableRandom(batch);
                    for (TensorSpec spec : model.inputs()) inputs.put(spec.name(), OpenClTrainingTest.tensor(spec, batch, 2, random));
                    Map<String, Tensor> jvm = session.run(inputs);
                    Map<String, Tensor> gpu = device.run(inputs);
                    assertEquals(jvm.keySet(), gpu.keySet());
                    for (String name : jvm.keySet()) {
                        OpenClTrainingTest.assertClose(jvm.get(name).toFloatArray(), gpu.get(name).toFloatArray(),
                                example + " " + level + " batch " + batch + " " + name);
                    }
                }
            }
        }
    }

    private static NdArray random(long[] shape, SplittableRandom r) {
        NdArray a = NdArray.zeros(shape);
        for (int i = 0; i < a.data().length; i++) a.data()[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }
}

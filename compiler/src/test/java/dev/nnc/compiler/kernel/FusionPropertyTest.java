package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Op.BinaryKind;
import dev.nnc.compiler.ir.Op.UnaryKind;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import dev.nnc.kernels.Gemm;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.Manifest.PackedWeight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property test: on 1000 randomly generated graphs (elementwise chains with broadcasting, reductions over any
 * axis including the batch, reshapes, broadcasts, transposes, slices, concatenations and matmuls), the unfused ({@code -O0}) and fused ({@code -O2})
 * compiled code both agree with the reference interpreter. Both go through the path {@code nnc compile} ships: at
 * {@code -O2} the planned arena, where buffers share memory and elementwise kernels write over their dying inputs,
 * and constant weights read from their prepacked copies. Ops with jumps (step, sign, comparisons) are left out:
 * float32 rounding next to a jump flips them, which would test rounding, not fusion; the training tests cover them.
 * Tolerance: 1e-5 of each output's largest magnitude — float32 against float64 over chains of at most a dozen ops
 * and dot products of at most 8 terms stays within a few ulps of that scale.
 */
class FusionPropertyTest {

    /** Every unary kind but those with jumps (step, sign), a restricted domain (log, sqrt) or overflow in chains (exp). */
    private static final UnaryKind[] UNARY = EnumSet.complementOf(EnumSet.of(UnaryKind.STEP, UnaryKind.SIGN, UnaryKind.LOG,
            UnaryKind.SQRT, UnaryKind.EXP)).toArray(UnaryKind[]::new);
    private static final BinaryKind[] BINARY = {BinaryKind.ADD, BinaryKind.SUB, BinaryKind.MUL, BinaryKind.MAX, BinaryKind.MIN};

    static Stream<Long> seeds() {
        return IntStream.range(0, 1000).mapToObj(i -> (long) i);
    }

    @ParameterizedTest(name = "graph {0}")
    @MethodSource("seeds")
    void fusedAndUnfusedAgreeWithInterpreter(long seed) throws Exception {
        Graph g = randomGraph(seed);
        SplittableRandom random = new SplittableRandom(seed * 31 + 7);
        int batch = 1 + (int) (seed % g.maxBatch());
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Param p : g.params()) params.put(p.name(), randomArray(p.value().shape().sizes(1), random));
        Map<String, NdArray> inputs = new LinkedHashMap<>();
        for (Value v : g.inputs()) inputs.put(v.name(), randomArray(v.shape().sizes(batch), random));
        Map<String, NdArray> expected = Interpreter.run(g, inputs, params);
        int unfused = Compiler.compileGraph(g, OptLevel.O0).kernels().kernels().size();
        int fused = Compiler.compileGraph(g, OptLevel.O2).kernels().kernels().size();
        assertTrue(fused <= unfused, "fusion added kernels: " + unfused + " -> " + fused);
        for (OptLevel level : OptLevel.values()) {
            Map<String, float[]> actual = run(Compiler.compileGraph(g, level), inputs, params, batch);
            for (Map.Entry<String, NdArray> e : expected.entrySet()) {
                double[] want = e.getValue().data();
                float[] got = actual.get(e.getKey());
                double scale = 1e-3;
                for (double w : want) scale = Math.max(scale, Math.abs(w));
                for (int i = 0; i < want.length; i++) {
                    assertTrue(Math.abs(want[i] - got[i]) <= 1e-5 * scale,
                            "graph " + seed + " " + level + " output " + e.getKey() + "[" + i + "]: compiled " + got[i] + ", interpreter " + want[i]);
                }
            }
        }
    }

    /** The random graphs exercise what the planner does at -O2: memory reuse and in-place writes, in many graphs. */
    @org.junit.jupiter.api.Test
    void plannedArenasReuseMemoryAndWriteInPlace() {
        int reusing = 0;
        int inPlace = 0;
        for (long seed = 0; seed < 200; seed++) {
            Compiler.CompiledGraph c = Compiler.compileGraph(randomGraph(seed), OptLevel.O2);
            if (c.plan().statistics().plannedBytes() < c.plan().statistics().naiveBytes()) reusing++;
            if (!Liveness.of(c.kernels()).inPlace().isEmpty()) inPlace++;
        }
        assertTrue(reusing >= 40 && inPlace >= 20, reusing + " of 200 plans reuse memory, " + inPlace + " write in place");
    }

    /** A random graph over one input {@code x: f32[B, d1(, d2)]}, with one or two outputs. */
    static Graph randomGraph(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        GraphBuilder b = new GraphBuilder("Random" + seed, 4);
        long[] dims = r.nextBoolean() ? new long[] {-1, 1 + r.nextInt(9)} : new long[] {-1, 1 + r.nextInt(4), 1 + r.nextInt(5)};
        List<Value> pool = new ArrayList<>();
        pool.add(b.input("x", TensorType.f32(Shape.of(dims))));
        int ops = 3 + r.nextInt(10);
        int params = 0;
        for (int i = 0; i < ops; i++) {
            Value v = pool.get(r.nextInt(pool.size()));
            Shape s = v.shape();
            Value out = switch (r.nextInt(9)) {
                case 0, 1 -> b.add(new Op.Unary(UNARY[r.nextInt(UNARY.length)], v), "u");
                case 2, 3 -> {
                    Value other = switch (r.nextInt(4)) {
                        case 0 -> b.add(new Op.Constant((float) (r.nextDouble() * 2 - 1)), "c");
                        case 1 -> b.param("p" + params++, TensorType.f32(new Shape(s.dims().subList(1, s.rank()))), Init.zeros());
                        case 2 -> sameShape(pool, s, r, v);
                        default -> {
                            List<Dim> ones = new ArrayList<>(s.dims().subList(1, s.rank()));
                            ones.set(r.nextInt(ones.size()), Dim.of(1));
                            yield b.param("p" + params++, TensorType.f32(new Shape(ones)), Init.zeros());
                        }
                    };
                    yield r.nextBoolean() ? b.add(new Op.Binary(BINARY[r.nextInt(BINARY.length)], v, other), "b")
                            : b.add(new Op.Binary(BINARY[r.nextInt(BINARY.length)], other, v), "b");
                }
                case 4 -> {
                    int axis = r.nextInt(s.rank());
                    Value reduced = b.add(new Op.Reduce(r.nextBoolean() ? Op.ReduceKind.SUM : Op.ReduceKind.MAX, v, axis), "r");
                    yield axis == 0 ? reduced : b.add(new Op.Broadcast(reduced, s), "bc");
                }
                case 5 -> s.rank() == 3 ? b.add(new Op.Reshape(v, new Shape(List.of(s.dim(0), Dim.of(s.size(1) * s.size(2))))), "flat")
                        : b.add(new Op.Unary(UnaryKind.TANH, v), "u");
                case 6 -> s.rank() == 3    // a view that reads its input out of order: the case in-place writes must refuse
                        ? b.add(new Op.Transpose(v, List.of(0, 2, 1)), "t")
                        : s.size(s.rank() - 1) > 1 ? b.add(new Op.Slice(v, s.rank() - 1, 1, s.size(s.rank() - 1)), "slice")
                        : b.add(new Op.Unary(UnaryKind.NEG, v), "u");
                case 7 -> b.add(new Op.Concat(List.of(v, sameShape(pool, s, r, v)), s.rank() - 1), "cat");
                default -> s.rank() == 2 && s.hasBatch()
                        ? b.add(new Op.MatMul(v, b.param("w" + params++, TensorType.f32(Shape.of(1 + r.nextInt(8), s.size(1))), Init.zeros()), false, true), "mm")
                        : b.add(new Op.Unary(UnaryKind.SIGMOID, v), "u");
            };
            pool.add(out);
        }
        Value last = pool.getLast();
        b.output("y", last);
        Value extra = pool.get(r.nextInt(pool.size()));
        if (!extra.equals(last) && !extra.equals(pool.getFirst())) b.output("z", extra);
        return b.build();
    }

    private static Value sameShape(List<Value> pool, Shape s, SplittableRandom r, Value fallback) {
        List<Value> same = pool.stream().filter(p -> p.shape().equals(s)).toList();
        return same.isEmpty() ? fallback : same.get(r.nextInt(same.size()));
    }

    private static NdArray randomArray(long[] shape, SplittableRandom r) {
        NdArray a = NdArray.zeros(shape);
        for (int i = 0; i < a.data().length; i++) a.data()[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** Defines the generated class and runs it on native memory laid out by the plan. */
    static Map<String, float[]> run(Compiler.CompiledGraph c, Map<String, NdArray> inputs, Map<String, NdArray> params, int batch) throws Exception {
        Class<?> cls = new ClassLoader(FusionPropertyTest.class.getClassLoader()) {
            Class<?> define() {
                return defineClass(c.className(), c.classFile(), 0, c.classFile().length);
            }
        }.define();
        CompiledModel model = (CompiledModel) cls.getConstructor().newInstance();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(Math.max(64, c.plan().arenaBytes()), 64);
            long weightBytes = 64;
            for (Param p : c.graph().weights()) weightBytes = Math.max(weightBytes, c.weightOffsets().get(p.name()) + 4 * p.value().shape().numel(1));
            List<PackedWeight> packed = WeightLayout.packedWeights(c.kernels());
            for (PackedWeight p : packed) weightBytes = Math.max(weightBytes, p.byteOffset() + p.byteSize());
            MemorySegment weights = arena.allocate(weightBytes, 64);
            for (Param p : c.graph().weights()) {
                MemorySegment.copy(params.get(p.name()).toFloats(), 0, weights, ValueLayout.JAVA_FLOAT, c.weightOffsets().get(p.name()), (int) p.value().shape().numel(1));
            }
            for (PackedWeight p : packed) {   // as the loader does
                Gemm.packB(p.transposed(), p.k(), p.n(), weights, c.weightOffsets().get(p.param()) / 4, p.transposed() ? p.k() : p.n(),
                        weights, p.byteOffset() / 4);
            }
            c.kernels().inputs().forEach((name, o) -> {
                float[] data = inputs.get(name).toFloats();
                MemorySegment.copy(data, 0, scratch, ValueLayout.JAVA_FLOAT, 4 * c.plan().floatIndex(o), data.length);
            });
            model.infer(scratch, weights, batch);
            Map<String, float[]> out = new LinkedHashMap<>();
            c.graph().outputs().forEach((name, v) -> {
                float[] data = new float[(int) v.shape().numel(batch)];
                MemorySegment.copy(scratch, ValueLayout.JAVA_FLOAT, 4 * c.plan().floatIndex(c.kernels().outputs().get(name)), data, 0, data.length);
                out.put(name, data);
            });
            return out;
        }
    }
}

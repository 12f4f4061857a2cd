package dev.nnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import dev.nnc.compiler.kernel.Fusion;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.Lowering;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.runtime.CompiledModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * Vectorized loop kernels agree with the reference interpreter: every unary and binary kind, broadcast loads
 * (a row of weights, a per-row column, a constant, a batch size), and reductions along and across the innermost
 * dimension, at innermost sizes 1, 7, 8, 9, 33 and 1000 (below, at, just above and far above the vector width, with
 * scalar tails of every length), at the maximum batch and a smaller one, unfused ({@code -O0}) and fused. The
 * kernels that should be vectorized are checked to be, and every generated class passes {@code CheckClassAdapter}.
 */
class VectorLoopTest {

    /**
     * The compiled code computes in float32 (vector EXP/LOG/TANH within a few ulp of the correctly rounded value),
     * the interpreter in float64; every value here is O(1) and reductions run over at most 1000 terms, so a float32
     * result is within ~1e-6 relative. Each element must agree to 1e-5 relative, with an absolute floor of 1e-5
     * for results that cancel to near zero; infinities (division by an exact zero) must match exactly.
     */
    private static final double TOLERANCE = 1e-5;
    private static final int MAX_BATCH = 3;

    static Stream<Arguments> sizes() {
        return Stream.of(1, 7, 8, 9, 33, 1000).flatMap(n -> Stream.of(Arguments.of(n, false), Arguments.of(n, true)));
    }

    @ParameterizedTest(name = "n={0} fused={1}")
    @MethodSource("sizes")
    void unaryKindsMatchInterpreter(int n, boolean fused) throws Exception {
        GraphBuilder b = new GraphBuilder("Unary", MAX_BATCH);
        Value x = b.input("x", f32(-1, n));
        Value w = b.param("w", f32(n), Init.uniform(1));
        // LOG and SQRT need positive arguments: |x| + 0.5
        Value positive = b.add(new Op.Binary(Op.BinaryKind.ADD, b.add(new Op.Unary(Op.UnaryKind.ABS, x), "abs"), constant(b, 0.5f)), "positive");
        for (Op.UnaryKind kind : Op.UnaryKind.values()) {
            Value arg = kind == Op.UnaryKind.LOG || kind == Op.UnaryKind.SQRT ? positive : x;
            b.output(kind.mnemonic(), b.add(new Op.Unary(kind, arg), kind.mnemonic()));
        }
        b.output("exp_w", b.add(new Op.Unary(Op.UnaryKind.EXP, w), "exp_w"));
        Graph g = b.build();
        KernelProgram program = program(g, fused);
        if (n >= 4 && !fused) {
            assertVectorized(program, Kernel.Loop::toString, "exp(");
            assertVectorized(program, Kernel.Loop::toString, "sigmoid(");
            assertTrue(loops(program).stream().filter(l -> l.toString().contains("gelu(")).allMatch(l -> LoopEmitter.lanes(l) == LoopEmitter.Lanes.NONE),
                    "gelu has no vector form, so its kernel must stay scalar");
        }
        if (n == 1) {
            assertTrue(loops(program).stream().allMatch(l -> LoopEmitter.lanes(l) == LoopEmitter.Lanes.NONE), "a 1-wide dimension stays scalar");
        }
        checkAgainstInterpreter(g, program, n);
    }

    @ParameterizedTest(name = "n={0} fused={1}")
    @MethodSource("sizes")
    void binaryKindsWithBroadcastsMatchInterpreter(int n, boolean fused) throws Exception {
        GraphBuilder b = new GraphBuilder("Binary", MAX_BATCH);
        Value x = b.input("x", f32(-1, n));
        Value column = b.input("column", f32(-1, 1));
        Value row = b.param("row", f32(n), Init.uniform(1));
        Value rowBroadcast = b.add(new Op.Broadcast(row, Shape.of(-1, n)), "row_b");
        Value columnBroadcast = b.add(new Op.Broadcast(column, Shape.of(-1, n)), "column_b");
        Value size = b.add(new Op.Binary(Op.BinaryKind.MUL, b.add(new Op.SizeOf(Shape.of(-1).dim(0)), "batch"), constant(b, 0.25f)), "quarter_batch");
        Value sizeBroadcast = b.add(new Op.Broadcast(size, Shape.of(-1, n)), "size_b");
        for (Op.BinaryKind kind : Op.BinaryKind.values()) {
            Value divisor = kind == Op.BinaryKind.DIV
                    ? b.add(new Op.Binary(Op.BinaryKind.ADD, b.add(new Op.Unary(Op.UnaryKind.ABS, rowBroadcast), "abs_row"), constant(b, 0.5f)), "divisor")
                    : rowBroadcast;
            b.output(kind.mnemonic() + "_row", b.add(new Op.Binary(kind, x, divisor), kind.mnemonic() + "_row"));
            b.output(kind.mnemonic() + "_column", b.add(new Op.Binary(kind, columnBroadcast, x), kind.mnemonic() + "_column"));
        }
        b.output("ge_self", b.add(new Op.Binary(Op.BinaryKind.GE, x, x), "ge_self"));
        b.output("lt_self", b.add(new Op.Binary(Op.BinaryKind.LT, x, x), "lt_self"));
        b.output("minus_size", b.add(new Op.Binary(Op.BinaryKind.SUB, x, sizeBroadcast), "minus_size"));
        Graph g = b.build();
        KernelProgram program = program(g, fused);
        if (n >= 4 && !fused) assertVectorized(program, Kernel.Loop::toString, "ge(");
        checkAgainstInterpreter(g, program, n);
    }

    @ParameterizedTest(name = "n={0} fused={1}")
    @MethodSource("sizes")
    void reductionsMatchInterpreter(int n, boolean fused) throws Exception {
        GraphBuilder b = new GraphBuilder("Reduce", MAX_BATCH);
        Value x = b.input("x", f32(-1, n));
        for (Op.ReduceKind kind : Op.ReduceKind.values()) {
            String name = kind.mnemonic();
            // along the innermost dimension: lanes over the reduced index
            b.output(name + "_rows", b.add(new Op.Reduce(kind, b.add(new Op.Unary(Op.UnaryKind.EXP, x), name + "_exp"), 1), name + "_rows"));
            // across the batch: lanes over the innermost loop dimension, one accumulator per lane
            b.output(name + "_columns", b.add(new Op.Reduce(kind, x, 0), name + "_columns"));
        }
        // softmax: a reduction whose body and consumers the fusion pass merges into bigger expressions
        Value max = b.add(new Op.Reduce(Op.ReduceKind.MAX, x, 1), "max");
        Value shifted = b.add(new Op.Binary(Op.BinaryKind.SUB, x, b.add(new Op.Broadcast(max, Shape.of(-1, n)), "max_b")), "shifted");
        Value exp = b.add(new Op.Unary(Op.UnaryKind.EXP, shifted), "exp");
        Value sum = b.add(new Op.Reduce(Op.ReduceKind.SUM, exp, 1), "sum");
        b.output("softmax", b.add(new Op.Binary(Op.BinaryKind.DIV, exp, b.add(new Op.Broadcast(sum, Shape.of(-1, n)), "sum_b")), "softmax"));
        Graph g = b.build();
        KernelProgram program = program(g, fused);
        if (n >= 4 && !fused) {
            assertTrue(loops(program).stream().anyMatch(l -> LoopEmitter.lanes(l) == LoopEmitter.Lanes.REDUCTION), "a row reduction uses lanes over the reduced index");
            assertTrue(loops(program).stream().anyMatch(l -> l.toString().contains("reduce_") && LoopEmitter.lanes(l) == LoopEmitter.Lanes.INNER_LOOP),
                    "a column reduction uses one accumulator per lane");
        }
        checkAgainstInterpreter(g, program, n);
    }

    /**
     * Every unary kind gives bit for bit the same result in a vector lane, in a vector loop's scalar tail and in a
     * scalar loop: the same graph compiled over rows of 1027 elements (vectorized) and of 1 element (scalar), applied
     * to the same values — every special value, every binade of both signs, random bit patterns.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Op.UnaryKind.class)
    void vectorLanesEqualScalarResultsBitForBit(Op.UnaryKind kind) throws Exception {
        int n = 1027;
        float[] values = new float[n];
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
            -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 88.72f, 88.73f, -87.4f, -103.9f, -104.1f, 0.625f,
            -0.625f, 0.6249999f, 1e-30f, -1e-30f};
        SplittableRandom random = new SplittableRandom(kind.ordinal());
        for (int i = 0; i < n; i++) {
            values[i] = i < special.length ? special[i]
                    : i % 2 == 0 ? Float.intBitsToFloat(random.nextInt())
                    : (float) (random.nextDouble() * 40 - 20);
        }
        float[] vectorized = runUnary(kind, values, n, 1);
        float[] scalar = runUnary(kind, values, 1, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vectorized[i]),
                    kind.mnemonic() + "(" + values[i] + "): scalar " + scalar[i] + ", vector lane " + vectorized[i]);
        }
    }

    /** {@code kind} over {@code values} laid out as {@code rows × columns}, compiled unfused. */
    private static float[] runUnary(Op.UnaryKind kind, float[] values, int columns, int rows) throws Exception {
        GraphBuilder b = new GraphBuilder("Lanes", rows);
        Value x = b.input("x", f32(-1, columns));
        b.output("y", b.add(new Op.Unary(kind, x), "y"));
        Graph g = b.build();
        KernelProgram program = Lowering.lower(g);
        Kernel.Loop loop = loops(program).getFirst();
        assertEquals(columns > 1 && Elementwise.hasVectorForm(kind) ? LoopEmitter.Lanes.INNER_LOOP : LoopEmitter.Lanes.NONE, LoopEmitter.lanes(loop));
        MemoryPlan plan = MemoryPlan.separate(program, Map.of());
        String className = "nnc.gen.Lanes" + kind + columns;
        byte[] classFile = JvmEmitter.emit(className, "lanes.nn", List.of(new JvmEmitter.EntryPoint(JvmEmitter.Entry.INFER, program, plan)));
        CompiledModel model = (CompiledModel) new GeneratedClassLoader().define(className, classFile).getConstructor().newInstance();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(plan.arenaBytes(), MemoryPlan.ALIGNMENT);
            MemorySegment.copy(values, 0, memory, ValueLayout.JAVA_FLOAT, 4 * plan.floatIndex(program.inputs().get("x")), values.length);
            model.infer(memory, MemorySegment.NULL, rows);
            float[] out = new float[values.length];
            MemorySegment.copy(memory, ValueLayout.JAVA_FLOAT, 4 * plan.floatIndex(program.outputs().get("y")), out, 0, out.length);
            return out;
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static TensorType f32(long... sizes) {
        return TensorType.f32(Shape.of(sizes));
    }

    private static Value constant(GraphBuilder b, float value) {
        return b.add(new Op.Constant(value), "c");
    }

    private static KernelProgram program(Graph g, boolean fused) {
        KernelProgram program = Lowering.lower(g);
        return fused ? Fusion.fuse(program) : program;
    }

    private static List<Kernel.Loop> loops(KernelProgram program) {
        return program.kernels().stream().filter(k -> k instanceof Kernel.Loop).map(k -> (Kernel.Loop) k).toList();
    }

    private static void assertVectorized(KernelProgram program, Function<Kernel.Loop, String> text, String marker) {
        List<Kernel.Loop> matching = loops(program).stream().filter(l -> text.apply(l).contains(marker)).toList();
        assertTrue(!matching.isEmpty(), "no kernel computes " + marker);
        for (Kernel.Loop l : matching) assertEquals(LoopEmitter.Lanes.INNER_LOOP, LoopEmitter.lanes(l), "not vectorized: " + l);
    }

    /** Emits, verifies, loads and runs {@code program} at the maximum batch and at batch 2, comparing every output. */
    private static void checkAgainstInterpreter(Graph g, KernelProgram program, int n) throws Exception {
        Map<String, Long> weightOffsets = new HashMap<>();
        long weightBytes = 0;
        for (Param p : g.params()) {
            weightOffsets.put(p.name(), weightBytes);
            weightBytes = MemoryPlan.align(weightBytes + 4 * p.value().shape().numel(1));
        }
        MemoryPlan plan = MemoryPlan.separate(program, weightOffsets);
        String className = "nnc.gen.VectorLoop" + g.name() + n;
        byte[] classFile = JvmEmitter.emit(className, g.name() + ".nn", List.of(new JvmEmitter.EntryPoint(JvmEmitter.Entry.INFER, program, plan)));
        StringWriter problems = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(classFile), VectorLoopTest.class.getClassLoader(), false, new PrintWriter(problems));
        assertEquals("", problems.toString(), "CheckClassAdapter found problems");
        CompiledModel model = (CompiledModel) new GeneratedClassLoader().define(className, classFile).getConstructor().newInstance();

        SplittableRandom random = new SplittableRandom(n);
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Param p : g.params()) params.put(p.name(), randomArray(p.value().shape().sizes(1), random));
        for (int batch : new int[] {MAX_BATCH, 2}) {
            Map<String, NdArray> inputs = new LinkedHashMap<>();
            for (Value v : g.inputs()) inputs.put(v.name(), randomArray(v.shape().sizes(batch), random));
            Map<String, NdArray> expected = Interpreter.run(g, inputs, params);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment memory = arena.allocate(Math.max(1, plan.arenaBytes()), MemoryPlan.ALIGNMENT);
                MemorySegment weights = arena.allocate(Math.max(1, weightBytes), MemoryPlan.ALIGNMENT);
                for (Param p : g.params()) copyIn(weights, weightOffsets.get(p.name()) / 4, params.get(p.name()));
                inputs.forEach((name, a) -> copyIn(memory, plan.floatIndex(program.inputs().get(name)), a));
                model.infer(memory, weights, batch);
                for (String name : expected.keySet()) {
                    assertClose(name + " at n=" + n + ", batch " + batch, expected.get(name), memory, plan, program.outputs().get(name));
                }
            }
        }
    }

    /** Uniform(−2, 2) values, with exact zeros at the start of every row (relu, step, sign and the comparisons at 0). */
    private static NdArray randomArray(long[] shape, SplittableRandom random) {
        NdArray a = NdArray.zeros(shape);
        long row = shape.length == 0 ? 1 : shape[shape.length - 1];
        for (int i = 0; i < a.data().length; i++) a.data()[i] = i % row == 0 && row > 1 ? 0 : (float) (4 * random.nextDouble() - 2);
        return a;
    }

    private static void copyIn(MemorySegment segment, long floatIndex, NdArray a) {
        float[] values = a.toFloats();
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 4 * floatIndex, values.length);
    }

    private static void assertClose(String what, NdArray expected, MemorySegment memory, MemoryPlan plan, Operand out) {
        long start = plan.floatIndex(out);
        for (int i = 0; i < expected.data().length; i++) {
            double want = expected.data()[i];
            double got = memory.getAtIndex(ValueLayout.JAVA_FLOAT, start + i);
            double allowed = TOLERANCE * Math.max(1, Math.abs(want));
            if (got != want && !(Math.abs(got - want) <= allowed)) {
                throw new AssertionError(what + "[" + i + "]: expected " + want + ", got " + got + " (allowed " + allowed + ")");
            }
        }
    }

    /** Defines one generated class, resolving everything else through the test's class loader. */
    private static final class GeneratedClassLoader extends ClassLoader {
        GeneratedClassLoader() {
            super(VectorLoopTest.class.getClassLoader());
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}

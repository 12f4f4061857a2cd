package dev.nnc.compiler.emit;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.kernel.Buffer;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.LoopExpr;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.kernels.Conv;
import dev.nnc.kernels.Gemm;
import dev.nnc.kernels.Index;
import dev.nnc.kernels.MathFns;
import dev.nnc.kernels.Pool;
import dev.nnc.kernels.Random;
import dev.nnc.kernels.Recurrent;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.CompiledTrainer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

/**
 * Emits kernel programs as one JVM class: {@code infer} ({@link CompiledModel}) and, for a training artifact,
 * {@code trainStep} ({@link CompiledTrainer}) each call one private static method per kernel, in order. Loop kernels become loop nests with their extents, strides and buffer
 * offsets baked in as constants (only the batch is a run-time value), so the JIT specializes them; library
 * kernels become calls into {@code dev.nnc.kernels}. Frames are computed by ASM.
 */
public final class JvmEmitter {
    private static final Type SEGMENT = Type.getType(MemorySegment.class);
    private static final Type VALUE_LAYOUT = Type.getType(ValueLayout.class);
    private static final Type OF_FLOAT = Type.getType(ValueLayout.OfFloat.class);
    private static final Method GET_FLOAT = Method.getMethod(reflect(MemorySegment.class, "getAtIndex", ValueLayout.OfFloat.class, long.class));
    private static final Method SET_FLOAT = Method.getMethod(reflect(MemorySegment.class, "setAtIndex", ValueLayout.OfFloat.class, long.class, float.class));
    private static final Method INFER_METHOD = Method.getMethod(reflect(CompiledModel.class, "infer", MemorySegment.class, MemorySegment.class, int.class));
    private static final Method TRAIN_STEP_METHOD = Method.getMethod(reflect(CompiledTrainer.class, "trainStep", MemorySegment.class, MemorySegment.class, int.class));
    private static final Method KERNEL_SIGNATURE = new Method("kernel", Type.VOID_TYPE, new Type[] {SEGMENT, SEGMENT, Type.INT_TYPE});
    private static final Type OF_INT = Type.getType(ValueLayout.OfInt.class);
    private static final Method GET_INT = Method.getMethod(reflect(MemorySegment.class, "getAtIndex", ValueLayout.OfInt.class, long.class));
    private static final int ARENA_ARG = 0;
    private static final int WEIGHTS_ARG = 1;
    private static final int BATCH_ARG = 2;
    private static final Type FLOAT_VECTOR = Type.getType(FloatVector.class);
    private static final Type VECTOR_SPECIES = Type.getType(VectorSpecies.class);
    private static final Type BYTE_ORDER = Type.getType(ByteOrder.class);
    private static final Type VECTOR_OPERATORS = Type.getType(VectorOperators.class);
    private static final Type UNARY = Type.getType(VectorOperators.Unary.class);
    private static final Type COMPARISON = Type.getType(VectorOperators.Comparison.class);
    private static final Type ASSOCIATIVE = Type.getType(VectorOperators.Associative.class);
    private static final Method FROM_SEGMENT = Method.getMethod(reflect(FloatVector.class, "fromMemorySegment",
            VectorSpecies.class, MemorySegment.class, long.class, ByteOrder.class));
    private static final Method INTO_SEGMENT = vectorMethod("intoMemorySegment", MemorySegment.class, long.class, ByteOrder.class);
    private static final Method BROADCAST = Method.getMethod(reflect(FloatVector.class, "broadcast", VectorSpecies.class, float.class));
    private static final Method BLEND = vectorMethod("blend", Vector.class, VectorMask.class);
    private static final Method REDUCE_LANES = vectorMethod("reduceLanes", VectorOperators.Associative.class);
    private static final Method LOOP_BOUND = Method.getMethod(reflect(VectorSpecies.class, "loopBound", long.class));
    private static final Method LENGTH = Method.getMethod(reflect(VectorSpecies.class, "length"));
    /** {@code private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED}: a constant to C2, so vector code is intrinsified. */
    private static final String SPECIES_FIELD = "SPECIES";
    /** {@code private static final ByteOrder ORDER = ByteOrder.nativeOrder()}. */
    private static final String ORDER_FIELD = "ORDER";

    /** The entry points a generated class can have, and the runtime interface each implements. */
    public enum Entry {
        /** {@code CompiledModel.infer(arena, weights, batch)}. */
        INFER(INFER_METHOD, CompiledModel.class),
        /** {@code CompiledTrainer.trainStep(arena, state, batch)}: one optimizer step, updating {@code state} in place. */
        TRAIN_STEP(TRAIN_STEP_METHOD, CompiledTrainer.class);

        private final Method method;
        private final Class<?> owner;

        Entry(Method method, Class<?> owner) {
            this.method = method;
            this.owner = owner;
        }
    }

    /** One entry point: its kernel program and that program's memory plan. */
    public record EntryPoint(Entry entry, KernelProgram program, MemoryPlan plan) {}

    private final MemoryPlan plan;
    private final Type selfType;

    private JvmEmitter(MemoryPlan plan, Type selfType) {
        this.plan = plan;
        this.selfType = selfType;
    }

    /** The class file with one method per entry point, under {@code binaryName} (e.g. {@code nnc.gen.Mlp}). */
    public static byte[] emit(String binaryName, String sourceName, List<EntryPoint> entries) {
        String internalName = binaryName.replace('.', '/');
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        String[] interfaces = entries.stream().map(e -> Type.getInternalName(e.entry().owner)).toArray(String[]::new);
        cw.visit(Opcodes.V25, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, internalName, null,
                Type.getInternalName(Object.class), interfaces);
        cw.visitSource(sourceName, null);

        GeneratorAdapter init = new GeneratorAdapter(Opcodes.ACC_PUBLIC, Method.getMethod("void <init> ()"), null, null, cw);
        init.loadThis();
        init.invokeConstructor(Type.getType(Object.class), Method.getMethod("void <init> ()"));
        init.returnValue();
        init.endMethod();

        Type self = Type.getObjectType(internalName);
        emitVectorConstants(cw, self);
        for (EntryPoint e : entries) new JvmEmitter(e.plan(), self).emitEntry(cw, self, e);
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The static final species and byte order every vector loop reads, set in {@code <clinit>}. */
    private static void emitVectorConstants(ClassWriter cw, Type self) {
        int flags = Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL;
        cw.visitField(flags, SPECIES_FIELD, VECTOR_SPECIES.getDescriptor(), "Ljdk/incubator/vector/VectorSpecies<Ljava/lang/Float;>;", null).visitEnd();
        cw.visitField(flags, ORDER_FIELD, BYTE_ORDER.getDescriptor(), null, null).visitEnd();
        GeneratorAdapter clinit = new GeneratorAdapter(Opcodes.ACC_STATIC, Method.getMethod("void <clinit> ()"), null, null, cw);
        clinit.getStatic(FLOAT_VECTOR, "SPECIES_PREFERRED", VECTOR_SPECIES);
        clinit.putStatic(self, SPECIES_FIELD, VECTOR_SPECIES);
        clinit.invokeStatic(BYTE_ORDER, Method.getMethod(reflect(ByteOrder.class, "nativeOrder")));
        clinit.putStatic(self, ORDER_FIELD, BYTE_ORDER);
        clinit.returnValue();
        clinit.endMethod();
    }

    /** The entry method calls one private static method per kernel, in order. */
    private void emitEntry(ClassWriter cw, Type self, EntryPoint e) {
        GeneratorAdapter entry = new GeneratorAdapter(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, e.entry().method, null, null, cw);
        List<Kernel> kernels = e.program().kernels();
        for (int i = 0; i < kernels.size(); i++) {
            Method kernel = kernelMethod(e.entry().method.getName() + "_k" + i);
            GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC, kernel, null, null, cw);
            emitKernel(g, kernels.get(i));
            g.returnValue();
            g.endMethod();
            entry.loadArg(ARENA_ARG);
            entry.loadArg(WEIGHTS_ARG);
            entry.loadArg(BATCH_ARG);
            entry.invokeStatic(self, kernel);
        }
        entry.returnValue();
        entry.endMethod();
    }

    private static Method kernelMethod(String name) {
        return new Method(name, KERNEL_SIGNATURE.getReturnType(), KERNEL_SIGNATURE.getArgumentTypes());
    }

    private void emitKernel(GeneratorAdapter g, Kernel kernel) {
        switch (kernel) {
            case Kernel.Loop loop -> emitLoop(g, loop);
            case Kernel.Gemm gemm when gemm.packedB() != null -> {
                g.push(gemm.transA());
                pushInt(g, gemm.m());
                pushInt(g, gemm.n());
                pushInt(g, gemm.k());
                pushOperand(g, gemm.a());
                g.push(gemm.lda());
                g.loadArg(WEIGHTS_ARG);
                g.push(gemm.packedB().byteOffset() / Float.BYTES);
                pushOperand(g, gemm.c());
                g.push(gemm.ldc());
                g.push(false);
                invoke(g, Gemm.class, "sgemmPackedB");
                if (gemm.epilogue() != null) emitLoop(g, gemm.epilogue());
            }
            case Kernel.Gemm gemm -> {
                g.push(gemm.transA());
                g.push(gemm.transB());
                if (gemm.batched()) pushInt(g, gemm.batch());
                pushInt(g, gemm.m());
                pushInt(g, gemm.n());
                pushInt(g, gemm.k());
                pushOperand(g, gemm.a());
                g.push(gemm.lda());
                if (gemm.batched()) g.push(gemm.strideA());
                pushOperand(g, gemm.b());
                g.push(gemm.ldb());
                if (gemm.batched()) g.push(gemm.strideB());
                pushOperand(g, gemm.c());
                g.push(gemm.ldc());
                if (gemm.batched()) g.push(gemm.strideC());
                g.push(false);
                invoke(g, Gemm.class, gemm.batched() ? "sgemmBatched" : "sgemm");
                if (gemm.epilogue() != null) emitLoop(g, gemm.epilogue());
            }
            case Kernel.Conv c -> {
                libraryCall(g, Conv.class, "conv2d", c.n(), new int[] {c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(), c.strideW(),
                        c.padH(), c.padW()}, c.x(), c.weight(), c.y(), c.scratch());
                if (c.epilogue() != null) emitLoop(g, c.epilogue());
            }
            case Kernel.Pool p -> libraryCall(g, Pool.class, switch (p.kind()) {
                case MAX -> "maxPool2d";
                case AVG -> "avgPool2d";
            }, p.n(), new int[] {p.c(), p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(), p.padH(), p.padW()}, p.x(), p.y());
            case Kernel.ConvInputGrad c -> libraryCall(g, Conv.class, "conv2dBackwardInput", c.n(), new int[] {c.c(), c.h(), c.w(), c.k(),
                    c.kh(), c.kw(), c.strideH(), c.strideW(), c.padH(), c.padW()}, c.dy(), c.weight(), c.dx(), c.scratch());
            case Kernel.ConvWeightGrad c -> libraryCall(g, Conv.class, "conv2dBackwardWeight", c.n(), new int[] {c.c(), c.h(), c.w(), c.k(),
                    c.kh(), c.kw(), c.strideH(), c.strideW(), c.padH(), c.padW()}, c.x(), c.dy(), c.dw(), c.scratch());
            case Kernel.PoolGrad p -> {
                int[] geometry = new int[] {p.c(), p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(), p.padH(), p.padW()};
                switch (p.kind()) {
                    case MAX -> libraryCall(g, Pool.class, "maxPool2dBackward", p.n(), geometry, p.x(), p.dy(), p.dx());
                    case AVG -> libraryCall(g, Pool.class, "avgPool2dBackward", p.n(), geometry, p.dy(), p.dx());
                }
            }
            case Kernel.OneHot o -> libraryCall(g, Index.class, "oneHot", o.rows(), new int[] {o.classes()}, o.labels(), o.out());
            case Kernel.CausalMask m -> {
                g.push(m.n());
                pushOperand(g, m.out());
                invoke(g, Index.class, "causalMask");
            }
            case Kernel.RecurrentForward r -> {
                int[] sizes = {r.t(), r.f(), r.h()};
                switch (r.kind()) {
                    case RNN -> libraryCall(g, Recurrent.class, "rnnForward", r.n(), sizes, r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh(), r.y());
                    case LSTM -> libraryCall(g, Recurrent.class, "lstmForward", r.n(), sizes, r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh(), r.y(),
                            r.cells());
                }
            }
            case Kernel.RecurrentBackward r -> {
                int[] sizes = {r.t(), r.f(), r.h()};
                switch (r.kind()) {
                    case RNN -> libraryCall(g, Recurrent.class, "rnnBackward", r.n(), sizes, r.x(), r.wIh(), r.wHh(), r.y(), r.dy(), r.dx(),
                            r.dW(), r.scratch());
                    case LSTM -> libraryCall(g, Recurrent.class, "lstmBackward", r.n(), sizes, r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh(),
                            r.y(), r.cells(), r.dy(), r.dx(), r.dW(), r.scratch());
                }
            }
            case Kernel.Uniform u -> {
                // seed' = seed ^ (stream · 0x9E3779B9), as Op.RandomUniform.mixedSeed
                pushSegment(g, u.seed().buffer());
                g.getStatic(VALUE_LAYOUT, "JAVA_INT", OF_INT);
                g.push(plan.floatIndex(u.seed()));
                g.invokeInterface(SEGMENT, GET_INT);
                g.push(Op.RandomUniform.mixedSeed(0, u.stream()));
                g.math(GeneratorAdapter.XOR, Type.INT_TYPE);
                pushLong(g, u.count());
                pushOperand(g, u.out());
                invoke(g, Random.class, "fillUniform");
            }
        }
    }

    // ---- loop kernels ----------------------------------------------------------------------------

    /**
     * {@code for i_0 … for i_{r−1}: out[…] = value}, with a reduction hoisted into a local before the store. When
     * {@link #lanes} allows, the innermost loop (or the reduction) steps by whole vectors, followed by a scalar tail.
     */
    private void emitLoop(GeneratorAdapter g, Kernel.Loop loop) {
        switch (lanes(loop)) {
            case NONE -> {
                int[] indices = new int[loop.dims().size()];
                nest(g, loop.dims(), 0, indices, () -> emitPoint(g, loop, Point.scalar(indices), null, false));
            }
            case INNER_LOOP -> emitInnerVectorLoop(g, loop);
            case REDUCTION -> {
                int[] indices = new int[loop.dims().size()];
                nest(g, loop.dims(), 0, indices, () -> emitPoint(g, loop, Point.scalar(indices), null, true));
            }
        }
    }

    /** How a loop kernel's lanes are laid out: not vectorized, vectors along its innermost dimension, or along its reduction. */
    enum Lanes { NONE, INNER_LOOP, REDUCTION }

    /**
     * {@link Lanes#INNER_LOOP} when the output and every load have stride 1 or 0 along the innermost dimension,
     * which is wider than {@link #MIN_VECTOR_EXTENT}; else {@link Lanes#REDUCTION} when the reduction is that wide and
     * every load in its body has stride 1 or 0 along the reduced index; else {@link Lanes#NONE}. Either vector form
     * also needs every operation it vectorizes to have a vector formulation ({@link #hasVectorForm}).
     */
    static Lanes lanes(Kernel.Loop loop) {
        int rank = loop.dims().size();
        if (rank == 0) return Lanes.NONE;
        List<LoopExpr.Load> loads = new ArrayList<>();
        collectLoads(loop.value(), loads);
        boolean innerContiguous = loop.outStrides()[rank - 1] == 1 && wide(loop.dims().get(rank - 1))
                && loads.stream().allMatch(l -> unitOrZero(l.strides(), rank - 1));
        if (innerContiguous && hasVectorForm(loop.value())) return Lanes.INNER_LOOP;
        LoopExpr.Reduce reduce = findReduce(loop.value());
        if (reduce == null || !wide(reduce.extent()) || !hasVectorForm(reduce.body())) return Lanes.NONE;
        List<LoopExpr.Load> reduced = new ArrayList<>();
        collectLoads(reduce.body(), reduced);
        return reduced.stream().allMatch(l -> unitOrZero(l.strides(), rank)) ? Lanes.REDUCTION : Lanes.NONE;
    }

    /** Extents below this stay scalar: a vector loop over them would be all tail. */
    private static final int MIN_VECTOR_EXTENT = 4;

    private static boolean wide(Dim extent) {
        return extent.batch() || extent.factor() >= MIN_VECTOR_EXTENT;
    }

    private static boolean unitOrZero(long[] strides, int position) {
        return position < strides.length && (strides[position] == 0 || strides[position] == 1);
    }

    private static void collectLoads(LoopExpr e, List<LoopExpr.Load> into) {
        switch (e) {
            case LoopExpr.Load l -> into.add(l);
            case LoopExpr.Unary u -> collectLoads(u.x(), into);
            case LoopExpr.Binary b -> {
                collectLoads(b.a(), into);
                collectLoads(b.b(), into);
            }
            case LoopExpr.Reduce r -> collectLoads(r.body(), into);
            case LoopExpr.Const c -> { }
            case LoopExpr.DimValue d -> { }
        }
    }

    /** Whether every operation in {@code e} has a vector formulation (exact GELU and its derivative need erf, which has none). */
    private static boolean hasVectorForm(LoopExpr e) {
        return switch (e) {
            case LoopExpr.Load l -> true;
            case LoopExpr.Const c -> true;
            case LoopExpr.DimValue d -> true;
            case LoopExpr.Reduce r -> hasVectorForm(r.body());
            case LoopExpr.Binary b -> hasVectorForm(b.a()) && hasVectorForm(b.b());
            case LoopExpr.Unary u -> hasVectorForm(u.x()) && switch (u.kind()) {
                case NEG, RELU, SIGMOID, TANH, EXP, LOG, SQRT, STEP, ABS, SIGN -> true;
                case GELU, GELU_GRAD -> false;
            };
        };
    }

    /**
     * Where an expression is evaluated. {@code indices} are the loop-index locals and {@code reduceIndex} the reduced
     * index's (−1 outside a reduction); {@code reduced} holds the reduction's value once computed. A load found in
     * {@code bases} starts from that local, which already holds its offset plus its strides below {@code hoistedDims}.
     * When {@code vector}, the index at stride position {@code laneAxis} is the first of a vector of consecutive lanes.
     */
    private record Point(int[] indices, int reduceIndex, int reduced, Map<LoopExpr.Load, Integer> bases, int hoistedDims,
                         boolean vector, int laneAxis) {
        static Point scalar(int[] indices) {
            return new Point(indices, -1, -1, Map.of(), 0, false, -1);
        }

        Point inReduction(int index) {
            return new Point(indices, index, reduced, bases, hoistedDims, vector, laneAxis);
        }

        Point withReduced(int local) {
            return new Point(indices, reduceIndex, local, bases, hoistedDims, vector, laneAxis);
        }

        Point withBases(Map<LoopExpr.Load, Integer> hoisted, int dims) {
            return new Point(indices, reduceIndex, reduced, hoisted, dims, vector, laneAxis);
        }

        Point asVector(int axis) {
            return new Point(indices, reduceIndex, reduced, bases, hoistedDims, true, axis);
        }

        Point asScalar() {
            return new Point(indices, reduceIndex, reduced, bases, hoistedDims, false, -1);
        }
    }

    /**
     * One scalar point of the index space: the reduction (vectorized along the reduced index when
     * {@code vectorReduction}) into a local, then the store. {@code outBase} holds the output's hoisted base, or is null.
     */
    private void emitPoint(GeneratorAdapter g, Kernel.Loop loop, Point point, Integer outBase, boolean vectorReduction) {
        LoopExpr.Reduce reduce = findReduce(loop.value());
        Point p = point;
        if (reduce != null) p = p.withReduced(vectorReduction ? emitLaneReduce(g, reduce, p) : emitReduce(g, reduce, p));
        pushSegment(g, loop.out().buffer());
        g.getStatic(VALUE_LAYOUT, "JAVA_FLOAT", OF_FLOAT);
        pushAddress(g, loop.out(), loop.outStrides(), outBase, p);
        emitExpr(g, loop.value(), p);
        g.invokeInterface(SEGMENT, SET_FLOAT);
    }

    /**
     * The outer dimensions as scalar loops; per row, every load's and the output's base index is hoisted into a
     * local, then {@code j} steps over the innermost dimension by whole vectors and a scalar loop finishes the tail.
     */
    private void emitInnerVectorLoop(GeneratorAdapter g, Kernel.Loop loop) {
        int rank = loop.dims().size();
        int[] indices = new int[rank];
        List<LoopExpr.Load> loads = new ArrayList<>();
        collectLoads(loop.value(), loads);
        nest(g, loop.dims().subList(0, rank - 1), 0, indices, () -> {
            int outBase = hoistBase(g, loop.out(), loop.outStrides(), indices, rank - 1);
            Map<LoopExpr.Load, Integer> bases = new HashMap<>();
            for (LoopExpr.Load l : loads) {
                if (!bases.containsKey(l)) bases.put(l, hoistBase(g, l.src(), l.strides(), indices, rank - 1));
            }
            int j = g.newLocal(Type.LONG_TYPE);
            indices[rank - 1] = j;
            int extent = g.newLocal(Type.LONG_TYPE);
            pushLong(g, loop.dims().get(rank - 1));
            g.storeLocal(extent);
            Point row = Point.scalar(indices).withBases(bases, rank - 1);
            g.push(0L);
            g.storeLocal(j);
            vectorSteps(g, j, extent, () -> {
                Point p = row.asVector(rank - 1);
                LoopExpr.Reduce reduce = findReduce(loop.value());
                if (reduce != null) p = p.withReduced(emitReduce(g, reduce, p));
                emitExpr(g, loop.value(), p);
                pushSegment(g, loop.out().buffer());
                pushByteOffset(g, loop.out(), loop.outStrides(), outBase, p);
                g.getStatic(selfType, ORDER_FIELD, BYTE_ORDER);
                g.invokeVirtual(FLOAT_VECTOR, INTO_SEGMENT);
            });
            scalarSteps(g, j, extent, () -> emitPoint(g, loop, row, outBase, false));
        });
    }

    /** Emits {@code for (long i = 0; i < extent; i++) body} for each dimension from {@code depth} inwards. */
    private void nest(GeneratorAdapter g, List<Dim> dims, int depth, int[] indices, Runnable body) {
        if (depth == dims.size()) {
            body.run();
            return;
        }
        int i = g.newLocal(Type.LONG_TYPE);
        indices[depth] = i;
        g.push(0L);
        g.storeLocal(i);
        Label top = g.mark();
        Label end = new Label();
        g.loadLocal(i);
        pushLong(g, dims.get(depth));
        g.ifCmp(Type.LONG_TYPE, GeneratorAdapter.GE, end);
        nest(g, dims, depth + 1, indices, body);
        g.loadLocal(i);
        g.push(1L);
        g.math(GeneratorAdapter.ADD, Type.LONG_TYPE);
        g.storeLocal(i);
        g.goTo(top);
        g.mark(end);
    }

    /** {@code while (i < loopBound(extent)) { body; i += lanes }}, with {@code i} already initialized. */
    private void vectorSteps(GeneratorAdapter g, int i, int extent, Runnable body) {
        int bound = g.newLocal(Type.LONG_TYPE);
        g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
        g.loadLocal(extent);
        g.invokeInterface(VECTOR_SPECIES, LOOP_BOUND);
        g.storeLocal(bound);
        Label top = g.mark();
        Label end = new Label();
        g.loadLocal(i);
        g.loadLocal(bound);
        g.ifCmp(Type.LONG_TYPE, GeneratorAdapter.GE, end);
        body.run();
        g.loadLocal(i);
        g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
        g.invokeInterface(VECTOR_SPECIES, LENGTH);
        g.cast(Type.INT_TYPE, Type.LONG_TYPE);
        g.math(GeneratorAdapter.ADD, Type.LONG_TYPE);
        g.storeLocal(i);
        g.goTo(top);
        g.mark(end);
    }

    /** {@code while (i < extent) { body; i++ }}, continuing from wherever {@code i} stands. */
    private static void scalarSteps(GeneratorAdapter g, int i, int extent, Runnable body) {
        Label top = g.mark();
        Label end = new Label();
        g.loadLocal(i);
        g.loadLocal(extent);
        g.ifCmp(Type.LONG_TYPE, GeneratorAdapter.GE, end);
        body.run();
        g.loadLocal(i);
        g.push(1L);
        g.math(GeneratorAdapter.ADD, Type.LONG_TYPE);
        g.storeLocal(i);
        g.goTo(top);
        g.mark(end);
    }

    /** Stores {@code offset + Σ_{d < dims} index_d · stride_d} of {@code o} in a fresh long local and returns it. */
    private int hoistBase(GeneratorAdapter g, Operand o, long[] strides, int[] indices, int dims) {
        g.push(plan.floatIndex(o));
        for (int d = 0; d < dims; d++) {
            if (strides[d] == 0) continue;
            g.loadLocal(indices[d]);
            if (strides[d] != 1) {
                g.push(strides[d]);
                g.math(GeneratorAdapter.MUL, Type.LONG_TYPE);
            }
            g.math(GeneratorAdapter.ADD, Type.LONG_TYPE);
        }
        int local = g.newLocal(Type.LONG_TYPE);
        g.storeLocal(local);
        return local;
    }

    /**
     * Folds the reduction into a fresh local (a float, or a vector of independent per-lane accumulators at a vector
     * point) and returns the local; the reduced index steps one at a time.
     */
    private int emitReduce(GeneratorAdapter g, LoopExpr.Reduce reduce, Point p) {
        int acc = g.newLocal(p.vector() ? FLOAT_VECTOR : Type.FLOAT_TYPE);
        if (p.vector()) g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
        g.push(identity(reduce.kind()));
        if (p.vector()) g.invokeStatic(FLOAT_VECTOR, BROADCAST);
        g.storeLocal(acc);
        int[] reduceIndex = new int[1];
        nest(g, List.of(reduce.extent()), 0, reduceIndex, () -> {
            g.loadLocal(acc);
            emitExpr(g, reduce.body(), p.inReduction(reduceIndex[0]));
            combine(g, reduce.kind(), p.vector());
            g.storeLocal(acc);
        });
        return acc;
    }

    /**
     * Folds the reduction with a vector accumulator stepping the reduced index by whole vectors, reduces its lanes,
     * then folds the scalar tail; returns the float local holding the result.
     */
    private int emitLaneReduce(GeneratorAdapter g, LoopExpr.Reduce reduce, Point p) {
        int rank = p.indices().length;
        List<LoopExpr.Load> loads = new ArrayList<>();
        collectLoads(reduce.body(), loads);
        Map<LoopExpr.Load, Integer> bases = new HashMap<>();
        for (LoopExpr.Load l : loads) {
            if (!bases.containsKey(l)) bases.put(l, hoistBase(g, l.src(), l.strides(), p.indices(), rank));
        }
        int r = g.newLocal(Type.LONG_TYPE);
        Point body = p.withBases(bases, rank).inReduction(r);
        int extent = g.newLocal(Type.LONG_TYPE);
        pushLong(g, reduce.extent());
        g.storeLocal(extent);
        int lanes = g.newLocal(FLOAT_VECTOR);
        g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
        g.push(identity(reduce.kind()));
        g.invokeStatic(FLOAT_VECTOR, BROADCAST);
        g.storeLocal(lanes);
        g.push(0L);
        g.storeLocal(r);
        vectorSteps(g, r, extent, () -> {
            g.loadLocal(lanes);
            emitExpr(g, reduce.body(), body.asVector(rank));
            combine(g, reduce.kind(), true);
            g.storeLocal(lanes);
        });
        int acc = g.newLocal(Type.FLOAT_TYPE);
        g.loadLocal(lanes);
        g.getStatic(VECTOR_OPERATORS, switch (reduce.kind()) {
            case SUM -> "ADD";
            case MAX -> "MAX";
        }, ASSOCIATIVE);
        g.invokeVirtual(FLOAT_VECTOR, REDUCE_LANES);
        g.storeLocal(acc);
        scalarSteps(g, r, extent, () -> {
            g.loadLocal(acc);
            emitExpr(g, reduce.body(), body.asScalar());
            combine(g, reduce.kind(), false);
            g.storeLocal(acc);
        });
        return acc;
    }

    private static float identity(Op.ReduceKind kind) {
        return switch (kind) {
            case SUM -> 0f;
            case MAX -> Float.NEGATIVE_INFINITY;
        };
    }

    /** {@code acc, x → acc ⊕ x} for floats or vectors (vector max follows {@code Math.max}, NaN included). */
    private static void combine(GeneratorAdapter g, Op.ReduceKind kind, boolean vector) {
        if (vector) {
            g.invokeVirtual(FLOAT_VECTOR, vectorMethod(switch (kind) {
                case SUM -> "add";
                case MAX -> "max";
            }, Vector.class));
            return;
        }
        switch (kind) {
            case SUM -> g.math(GeneratorAdapter.ADD, Type.FLOAT_TYPE);
            case MAX -> invoke(g, Math.class, "max", float.class, float.class);
        }
    }

    private static LoopExpr.Reduce findReduce(LoopExpr e) {
        return switch (e) {
            case LoopExpr.Reduce r -> r;
            case LoopExpr.Unary u -> findReduce(u.x());
            case LoopExpr.Binary b -> {
                LoopExpr.Reduce r = findReduce(b.a());
                yield r != null ? r : findReduce(b.b());
            }
            case LoopExpr.Load l -> null;
            case LoopExpr.Const c -> null;
            case LoopExpr.DimValue d -> null;
        };
    }

    /** Pushes the value of {@code e} at {@code p}: a float, or a {@code FloatVector} at a vector point. */
    private void emitExpr(GeneratorAdapter g, LoopExpr e, Point p) {
        switch (e) {
            case LoopExpr.Load l -> {
                boolean lanes = p.vector() && p.laneAxis() < l.strides().length && l.strides()[p.laneAxis()] != 0;
                if (lanes) {
                    g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
                    pushSegment(g, l.src().buffer());
                    pushByteOffset(g, l.src(), l.strides(), p.bases().get(l), p);
                    g.getStatic(selfType, ORDER_FIELD, BYTE_ORDER);
                    g.invokeStatic(FLOAT_VECTOR, FROM_SEGMENT);
                    return;
                }
                if (p.vector()) g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
                pushSegment(g, l.src().buffer());
                g.getStatic(VALUE_LAYOUT, "JAVA_FLOAT", OF_FLOAT);
                pushAddress(g, l.src(), l.strides(), p.bases().get(l), p);
                g.invokeInterface(SEGMENT, GET_FLOAT);
                if (p.vector()) g.invokeStatic(FLOAT_VECTOR, BROADCAST);
            }
            case LoopExpr.Const c -> {
                if (p.vector()) g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
                g.push(c.value());
                if (p.vector()) g.invokeStatic(FLOAT_VECTOR, BROADCAST);
            }
            case LoopExpr.DimValue d -> {
                if (p.vector()) g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
                pushLong(g, d.dim());
                g.cast(Type.LONG_TYPE, Type.FLOAT_TYPE);
                if (p.vector()) g.invokeStatic(FLOAT_VECTOR, BROADCAST);
            }
            case LoopExpr.Reduce r -> g.loadLocal(p.reduced());
            case LoopExpr.Unary u -> {
                emitExpr(g, u.x(), p);
                if (p.vector()) {
                    emitVectorUnary(g, u.kind());
                } else {
                    emitUnary(g, u.kind());
                }
            }
            case LoopExpr.Binary b when p.vector() -> emitVectorBinary(g, b, p);
            case LoopExpr.Binary b -> {
                emitExpr(g, b.a(), p);
                emitExpr(g, b.b(), p);
                switch (b.kind()) {
                    case ADD -> g.math(GeneratorAdapter.ADD, Type.FLOAT_TYPE);
                    case SUB -> g.math(GeneratorAdapter.SUB, Type.FLOAT_TYPE);
                    case MUL -> g.math(GeneratorAdapter.MUL, Type.FLOAT_TYPE);
                    case DIV -> g.math(GeneratorAdapter.DIV, Type.FLOAT_TYPE);
                    case MAX -> invoke(g, Math.class, "max", float.class, float.class);
                    case MIN -> invoke(g, Math.class, "min", float.class, float.class);
                    case GE -> invoke(g, MathFns.class, "ge", float.class, float.class);
                    case LT -> invoke(g, MathFns.class, "lt", float.class, float.class);
                }
            }
        }
    }

    private static void emitUnary(GeneratorAdapter g, Op.UnaryKind kind) {
        switch (kind) {
            case NEG -> g.math(GeneratorAdapter.NEG, Type.FLOAT_TYPE);
            case RELU -> {
                g.push(0f);
                invoke(g, Math.class, "max", float.class, float.class);
            }
            case SIGMOID -> invoke(g, MathFns.class, "sigmoid", float.class);
            case GELU -> invoke(g, MathFns.class, "gelu", float.class);
            case TANH -> viaDouble(g, "tanh");
            case EXP -> viaDouble(g, "exp");
            case LOG -> viaDouble(g, "log");
            case SQRT -> viaDouble(g, "sqrt");
            case STEP -> invoke(g, MathFns.class, "step", float.class);
            case ABS -> invoke(g, Math.class, "abs", float.class);
            case SIGN -> invoke(g, Math.class, "signum", float.class);
            case GELU_GRAD -> invoke(g, MathFns.class, "geluGrad", float.class);
        }
    }

    /**
     * Replaces the vector on the stack by {@code kind} applied lanewise, with the scalar path's semantics: relu is
     * {@code max(x, 0)}; step is 1 where {@code x > 0} else 0 (NaN gives 0); sign keeps ±0 and NaN and gives ±1
     * elsewhere; sigmoid is {@code 1/(1+e)} for {@code x ≥ 0} and {@code e/(1+e)} otherwise with {@code e = exp(−|x|)},
     * so nothing overflows (NaN stays NaN).
     */
    private void emitVectorUnary(GeneratorAdapter g, Op.UnaryKind kind) {
        switch (kind) {
            case NEG -> g.invokeVirtual(FLOAT_VECTOR, vectorMethod("neg"));
            case ABS -> g.invokeVirtual(FLOAT_VECTOR, vectorMethod("abs"));
            case RELU -> {
                g.push(0f);
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("max", float.class));
            }
            case TANH -> lanewise(g, "TANH");
            case EXP -> lanewise(g, "EXP");
            case LOG -> lanewise(g, "LOG");
            case SQRT -> lanewise(g, "SQRT");
            case STEP -> {
                int x = storeVector(g);
                pushBroadcast(g, 0f);
                pushBroadcast(g, 1f);
                compareWithZero(g, x, "GT");
                g.invokeVirtual(FLOAT_VECTOR, BLEND);
            }
            case SIGN -> {
                int x = storeVector(g);
                g.loadLocal(x);
                pushBroadcast(g, 1f);
                compareWithZero(g, x, "GT");
                g.invokeVirtual(FLOAT_VECTOR, BLEND);
                pushBroadcast(g, -1f);
                compareWithZero(g, x, "LT");
                g.invokeVirtual(FLOAT_VECTOR, BLEND);
            }
            case SIGMOID -> {
                int x = storeVector(g);
                g.loadLocal(x);
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("abs"));
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("neg"));
                lanewise(g, "EXP");
                int e = storeVector(g);
                pushBroadcast(g, 1f);
                g.loadLocal(e);
                g.push(1f);
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("add", float.class));
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("div", Vector.class));
                int positive = storeVector(g);
                g.loadLocal(e);
                g.loadLocal(positive);
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("mul", Vector.class));
                g.loadLocal(positive);
                compareWithZero(g, x, "GE");
                g.invokeVirtual(FLOAT_VECTOR, BLEND);
            }
            case GELU, GELU_GRAD -> throw new IllegalStateException(kind.mnemonic() + " has no vector form; lanes() must keep its kernel scalar");
        }
    }

    /** {@code a ⊕ b} lanewise; {@code ge}/{@code lt} blend 1 where the comparison holds and 0 elsewhere (NaN: 0). */
    private void emitVectorBinary(GeneratorAdapter g, LoopExpr.Binary b, Point p) {
        switch (b.kind()) {
            case GE, LT -> {
                pushBroadcast(g, 0f);
                pushBroadcast(g, 1f);
                emitExpr(g, b.a(), p);
                g.getStatic(VECTOR_OPERATORS, b.kind().name(), COMPARISON);
                emitExpr(g, b.b(), p);
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod("compare", VectorOperators.Comparison.class, Vector.class));
                g.invokeVirtual(FLOAT_VECTOR, BLEND);
            }
            case ADD, SUB, MUL, DIV, MAX, MIN -> {
                emitExpr(g, b.a(), p);
                emitExpr(g, b.b(), p);
                g.invokeVirtual(FLOAT_VECTOR, vectorMethod(b.kind().name().toLowerCase(Locale.ROOT), Vector.class));
            }
        }
    }

    /** Stores the vector on the stack in a fresh local and returns it. */
    private static int storeVector(GeneratorAdapter g) {
        int local = g.newLocal(FLOAT_VECTOR);
        g.storeLocal(local);
        return local;
    }

    /** Pushes the mask {@code x <comparison> 0}. */
    private static void compareWithZero(GeneratorAdapter g, int x, String comparison) {
        g.loadLocal(x);
        g.getStatic(VECTOR_OPERATORS, comparison, COMPARISON);
        g.push(0f);
        g.invokeVirtual(FLOAT_VECTOR, vectorMethod("compare", VectorOperators.Comparison.class, float.class));
    }

    private void pushBroadcast(GeneratorAdapter g, float value) {
        g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
        g.push(value);
        g.invokeStatic(FLOAT_VECTOR, BROADCAST);
    }

    private static void lanewise(GeneratorAdapter g, String unaryOperator) {
        g.getStatic(VECTOR_OPERATORS, unaryOperator, UNARY);
        g.invokeVirtual(FLOAT_VECTOR, vectorMethod("lanewise", VectorOperators.Unary.class));
    }

    /** {@code (float) Math.f((double) x)}. */
    private static void viaDouble(GeneratorAdapter g, String mathFunction) {
        g.cast(Type.FLOAT_TYPE, Type.DOUBLE_TYPE);
        invoke(g, Math.class, mathFunction, double.class);
        g.cast(Type.DOUBLE_TYPE, Type.FLOAT_TYPE);
    }

    /**
     * Pushes {@code offset + Σ index_d · stride_d} as a long; the last stride may belong to the reduced index. With a
     * hoisted {@code base} local, only the strides from {@code p.hoistedDims()} on are added to it.
     */
    private void pushAddress(GeneratorAdapter g, Operand o, long[] strides, Integer base, Point p) {
        int[] indices = p.indices();
        int reduceIndex = p.reduceIndex();
        if (strides.length > indices.length + (reduceIndex >= 0 ? 1 : 0)) {
            throw new IllegalStateException("load has strides " + Arrays.toString(strides) + " for " + indices.length + " loop dimensions");
        }
        int from = 0;
        if (base == null) {
            g.push(plan.floatIndex(o));
        } else {
            g.loadLocal(base);
            from = p.hoistedDims();
        }
        for (int d = from; d < strides.length; d++) {
            if (strides[d] == 0) continue;
            g.loadLocal(d < indices.length ? indices[d] : reduceIndex);
            if (strides[d] != 1) {
                g.push(strides[d]);
                g.math(GeneratorAdapter.MUL, Type.LONG_TYPE);
            }
            g.math(GeneratorAdapter.ADD, Type.LONG_TYPE);
        }
    }

    /** Pushes the byte offset {@code 4 · address} of a vector load or store (see {@link #pushAddress}). */
    private void pushByteOffset(GeneratorAdapter g, Operand o, long[] strides, Integer base, Point p) {
        pushAddress(g, o, strides, base, p);
        g.push((long) Float.BYTES);
        g.math(GeneratorAdapter.MUL, Type.LONG_TYPE);
    }

    // ---- operands --------------------------------------------------------------------------------

    private static void pushSegment(GeneratorAdapter g, Buffer b) {
        g.loadArg(switch (b.memory()) {
            case ARENA -> ARENA_ARG;
            case WEIGHTS -> WEIGHTS_ARG;
        });
    }

    /** Calls {@code owner.method(n, ints…, segment and offset of each operand…)}: the shape every library kernel takes. */
    private void libraryCall(GeneratorAdapter g, Class<?> owner, String method, Dim n, int[] ints, Operand... operands) {
        pushInt(g, n);
        for (int v : ints) g.push(v);
        for (Operand o : operands) pushOperand(g, o);
        invoke(g, owner, method);
    }

    /** Pushes the segment and the float offset of a library-call operand. */
    private void pushOperand(GeneratorAdapter g, Operand o) {
        pushSegment(g, o.buffer());
        g.push(plan.floatIndex(o));
    }

    /** Pushes a dimension as an int: a constant, or {@code factor · batch}. */
    private static void pushInt(GeneratorAdapter g, Dim d) {
        if (!d.batch()) {
            g.push(Math.toIntExact(d.factor()));
            return;
        }
        g.loadArg(BATCH_ARG);
        if (d.factor() != 1) {
            g.push(Math.toIntExact(d.factor()));
            g.math(GeneratorAdapter.MUL, Type.INT_TYPE);
        }
    }

    /** Pushes a dimension as a long. */
    private static void pushLong(GeneratorAdapter g, Dim d) {
        if (!d.batch()) {
            g.push(d.factor());
            return;
        }
        g.loadArg(BATCH_ARG);
        g.cast(Type.INT_TYPE, Type.LONG_TYPE);
        if (d.factor() != 1) {
            g.push(d.factor());
            g.math(GeneratorAdapter.MUL, Type.LONG_TYPE);
        }
    }

    /** Invokes the public static method {@code owner.name}, found by reflection so its descriptor is typed. */
    private static void invoke(GeneratorAdapter g, Class<?> owner, String name, Class<?>... parameterTypes) {
        java.lang.reflect.Method m = parameterTypes.length > 0 ? reflect(owner, name, parameterTypes) : unique(owner, name);
        g.invokeStatic(Type.getType(owner), Method.getMethod(m));
    }

    /** A public {@code FloatVector} instance method, found by reflection so its descriptor is typed. */
    private static Method vectorMethod(String name, Class<?>... parameterTypes) {
        return Method.getMethod(reflect(FloatVector.class, name, parameterTypes));
    }

    private static java.lang.reflect.Method unique(Class<?> owner, String name) {
        List<java.lang.reflect.Method> found = Arrays.stream(owner.getMethods()).filter(m -> m.getName().equals(name)).toList();
        if (found.size() != 1) throw new IllegalStateException(owner.getName() + "." + name + " is not a unique public method");
        return found.getFirst();
    }

    private static java.lang.reflect.Method reflect(Class<?> owner, String name, Class<?>... parameterTypes) {
        try {
            return owner.getMethod(name, parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("the emitter refers to a missing method " + owner.getName() + "." + name, e);
        }
    }
}

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
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.CompiledTrainer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
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

    private JvmEmitter(MemoryPlan plan) {
        this.plan = plan;
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
        for (EntryPoint e : entries) new JvmEmitter(e.plan()).emitEntry(cw, self, e);
        cw.visitEnd();
        return cw.toByteArray();
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
            case Kernel.Gemm gemm -> {
                g.push(gemm.transA());
                g.push(gemm.transB());
                pushInt(g, gemm.m());
                pushInt(g, gemm.n());
                pushInt(g, gemm.k());
                pushOperand(g, gemm.a());
                g.push(gemm.lda());
                pushOperand(g, gemm.b());
                g.push(gemm.ldb());
                pushOperand(g, gemm.c());
                g.push(gemm.ldc());
                g.push(false);
                invoke(g, Gemm.class, "sgemm");
            }
            case Kernel.Conv c -> {
                pushInt(g, c.n());
                for (int v : new int[] {c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(), c.strideW(), c.padH(), c.padW()}) g.push(v);
                pushOperand(g, c.x());
                pushOperand(g, c.weight());
                pushOperand(g, c.y());
                pushOperand(g, c.scratch());
                invoke(g, Conv.class, "conv2d");
            }
            case Kernel.Pool p -> {
                pushInt(g, p.n());
                for (int v : new int[] {p.c(), p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(), p.padH(), p.padW()}) g.push(v);
                pushOperand(g, p.x());
                pushOperand(g, p.y());
                invoke(g, Pool.class, switch (p.kind()) {
                    case MAX -> "maxPool2d";
                    case AVG -> "avgPool2d";
                });
            }
            case Kernel.ConvInputGrad c -> {
                pushInt(g, c.n());
                for (int v : new int[] {c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(), c.strideW(), c.padH(), c.padW()}) g.push(v);
                pushOperand(g, c.dy());
                pushOperand(g, c.weight());
                pushOperand(g, c.dx());
                pushOperand(g, c.scratch());
                invoke(g, Conv.class, "conv2dBackwardInput");
            }
            case Kernel.ConvWeightGrad c -> {
                pushInt(g, c.n());
                for (int v : new int[] {c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(), c.strideW(), c.padH(), c.padW()}) g.push(v);
                pushOperand(g, c.x());
                pushOperand(g, c.dy());
                pushOperand(g, c.dw());
                pushOperand(g, c.scratch());
                invoke(g, Conv.class, "conv2dBackwardWeight");
            }
            case Kernel.PoolGrad p -> {
                pushInt(g, p.n());
                for (int v : new int[] {p.c(), p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(), p.padH(), p.padW()}) g.push(v);
                switch (p.kind()) {
                    case MAX -> {
                        pushOperand(g, p.x());
                        pushOperand(g, p.dy());
                        pushOperand(g, p.dx());
                        invoke(g, Pool.class, "maxPool2dBackward");
                    }
                    case AVG -> {
                        pushOperand(g, p.dy());
                        pushOperand(g, p.dx());
                        invoke(g, Pool.class, "avgPool2dBackward");
                    }
                }
            }
            case Kernel.OneHot o -> {
                pushInt(g, o.rows());
                g.push(o.classes());
                pushOperand(g, o.labels());
                pushOperand(g, o.out());
                invoke(g, Index.class, "oneHot");
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

    /** {@code for i_0 … for i_{r−1}: out[…] = value}, with a reduction hoisted into a local before the store. */
    private void emitLoop(GeneratorAdapter g, Kernel.Loop loop) {
        int[] indices = new int[loop.dims().size()];
        nest(g, loop.dims(), 0, indices, () -> {
            LoopExpr.Reduce reduce = findReduce(loop.value());
            int acc = reduce == null ? -1 : emitReduce(g, reduce, indices);
            pushSegment(g, loop.out().buffer());
            g.getStatic(VALUE_LAYOUT, "JAVA_FLOAT", OF_FLOAT);
            pushIndex(g, loop.out(), loop.outStrides(), indices, -1);
            emitExpr(g, loop.value(), indices, -1, acc);
            g.invokeInterface(SEGMENT, SET_FLOAT);
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

    /** Folds the reduction into a fresh float local and returns the local. */
    private int emitReduce(GeneratorAdapter g, LoopExpr.Reduce reduce, int[] indices) {
        int acc = g.newLocal(Type.FLOAT_TYPE);
        g.push(switch (reduce.kind()) {
            case SUM -> 0f;
            case MAX -> Float.NEGATIVE_INFINITY;
        });
        g.storeLocal(acc);
        int[] reduceIndex = new int[1];
        nest(g, List.of(reduce.extent()), 0, reduceIndex, () -> {
            g.loadLocal(acc);
            emitExpr(g, reduce.body(), indices, reduceIndex[0], -1);
            switch (reduce.kind()) {
                case SUM -> g.math(GeneratorAdapter.ADD, Type.FLOAT_TYPE);
                case MAX -> invoke(g, Math.class, "max", float.class, float.class);
            }
            g.storeLocal(acc);
        });
        return acc;
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

    /** Pushes the float value of {@code e}; a reduction is read from {@code reducedLocal}. */
    private void emitExpr(GeneratorAdapter g, LoopExpr e, int[] indices, int reduceIndex, int reducedLocal) {
        switch (e) {
            case LoopExpr.Load l -> {
                pushSegment(g, l.src().buffer());
                g.getStatic(VALUE_LAYOUT, "JAVA_FLOAT", OF_FLOAT);
                pushIndex(g, l.src(), l.strides(), indices, reduceIndex);
                g.invokeInterface(SEGMENT, GET_FLOAT);
            }
            case LoopExpr.Const c -> g.push(c.value());
            case LoopExpr.DimValue d -> {
                pushLong(g, d.dim());
                g.cast(Type.LONG_TYPE, Type.FLOAT_TYPE);
            }
            case LoopExpr.Reduce r -> g.loadLocal(reducedLocal);
            case LoopExpr.Unary u -> {
                emitExpr(g, u.x(), indices, reduceIndex, reducedLocal);
                emitUnary(g, u.kind());
            }
            case LoopExpr.Binary b -> {
                emitExpr(g, b.a(), indices, reduceIndex, reducedLocal);
                emitExpr(g, b.b(), indices, reduceIndex, reducedLocal);
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

    /** {@code (float) Math.f((double) x)}. */
    private static void viaDouble(GeneratorAdapter g, String mathFunction) {
        g.cast(Type.FLOAT_TYPE, Type.DOUBLE_TYPE);
        invoke(g, Math.class, mathFunction, double.class);
        g.cast(Type.DOUBLE_TYPE, Type.FLOAT_TYPE);
    }

    /** Pushes {@code offset + Σ index_d · stride_d} as a long; the last stride may belong to the reduced index. */
    private void pushIndex(GeneratorAdapter g, Operand o, long[] strides, int[] indices, int reduceIndex) {
        g.push(plan.floatIndex(o));
        for (int d = 0; d < strides.length; d++) {
            if (strides[d] == 0) continue;
            int var = d < indices.length ? indices[d] : reduceIndex;
            g.loadLocal(var);
            if (strides[d] != 1) {
                g.push(strides[d]);
                g.math(GeneratorAdapter.MUL, Type.LONG_TYPE);
            }
            g.math(GeneratorAdapter.ADD, Type.LONG_TYPE);
        }
        if (strides.length > indices.length + (reduceIndex >= 0 ? 1 : 0)) {
            throw new IllegalStateException("load has strides " + Arrays.toString(strides) + " for " + indices.length + " loop dimensions");
        }
    }

    // ---- operands --------------------------------------------------------------------------------

    private static void pushSegment(GeneratorAdapter g, Buffer b) {
        g.loadArg(switch (b.memory()) {
            case ARENA -> ARENA_ARG;
            case WEIGHTS -> WEIGHTS_ARG;
        });
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

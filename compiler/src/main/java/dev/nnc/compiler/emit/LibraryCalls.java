package dev.nnc.compiler.emit;

import static dev.nnc.compiler.emit.Asm.pushInt;
import static dev.nnc.compiler.emit.Asm.pushLong;

import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.kernel.LibraryCall;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.compiler.kernel.Use;
import dev.nnc.compiler.kernel.Window;
import dev.nnc.kernels.Conv;
import dev.nnc.kernels.Gemm;
import dev.nnc.kernels.Index;
import dev.nnc.kernels.Pool;
import dev.nnc.kernels.Random;
import dev.nnc.kernels.Recurrent;
import java.lang.reflect.Method;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;

/**
 * Emits each {@link LibraryCall} as a call into {@code dev.nnc.kernels}. The methods are resolved when this class
 * loads; operands are passed as (segment, float offset) pairs in the order of {@link LibraryCall#uses}, after the
 * call's shape arguments, which is the signature every kernel of the library has.
 */
final class LibraryCalls {

    private static final Method SGEMM = Asm.unique(Gemm.class, "sgemm");
    private static final Method SGEMM_BATCHED = Asm.unique(Gemm.class, "sgemmBatched");
    private static final Method SGEMM_PACKED_B = Asm.unique(Gemm.class, "sgemmPackedB");
    private static final Method CONV2D = Asm.unique(Conv.class, "conv2d");
    private static final Method CONV2D_INPUT_GRAD = Asm.unique(Conv.class, "conv2dBackwardInput");
    private static final Method CONV2D_WEIGHT_GRAD = Asm.unique(Conv.class, "conv2dBackwardWeight");
    private static final Method MAX_POOL = Asm.unique(Pool.class, "maxPool2d");
    private static final Method AVG_POOL = Asm.unique(Pool.class, "avgPool2d");
    private static final Method MAX_POOL_GRAD = Asm.unique(Pool.class, "maxPool2dBackward");
    private static final Method AVG_POOL_GRAD = Asm.unique(Pool.class, "avgPool2dBackward");
    private static final Method ONE_HOT = Asm.unique(Index.class, "oneHot");
    private static final Method CAUSAL_MASK = Asm.unique(Index.class, "causalMask");
    private static final Method FILL_UNIFORM = Asm.unique(Random.class, "fillUniform");
    private static final Method RNN_FORWARD = Asm.unique(Recurrent.class, "rnnForward");
    private static final Method LSTM_FORWARD = Asm.unique(Recurrent.class, "lstmForward");
    private static final Method RNN_BACKWARD = Asm.unique(Recurrent.class, "rnnBackward");
    private static final Method LSTM_BACKWARD = Asm.unique(Recurrent.class, "lstmBackward");

    private final MemoryPlan plan;

    LibraryCalls(MemoryPlan plan) {
        this.plan = plan;
    }

    void emit(GeneratorAdapter g, LibraryCall call) {
        switch (call) {
            case LibraryCall.Gemm gemm when gemm.packedB() != null -> {
                g.push(gemm.transA());
                pushInt(g, gemm.m());
                pushInt(g, gemm.n());
                pushInt(g, gemm.k());
                operand(g, gemm.a());
                g.push(gemm.lda());
                g.loadArg(Asm.WEIGHTS_ARG);
                g.push(gemm.packedB().byteOffset() / Float.BYTES);
                operand(g, gemm.c());
                g.push(gemm.ldc());
                g.push(gemm.accumulate());
                Asm.invoke(g, SGEMM_PACKED_B);
            }
            case LibraryCall.Gemm gemm -> {
                g.push(gemm.transA());
                g.push(gemm.transB());
                if (gemm.batched()) pushInt(g, gemm.batch());
                pushInt(g, gemm.m());
                pushInt(g, gemm.n());
                pushInt(g, gemm.k());
                operand(g, gemm.a());
                g.push(gemm.lda());
                if (gemm.batched()) g.push(gemm.strideA());
                operand(g, gemm.b());
                g.push(gemm.ldb());
                if (gemm.batched()) g.push(gemm.strideB());
                operand(g, gemm.c());
                g.push(gemm.ldc());
                if (gemm.batched()) g.push(gemm.strideC());
                g.push(gemm.accumulate());
                Asm.invoke(g, gemm.batched() ? SGEMM_BATCHED : SGEMM);
            }
            case LibraryCall.Conv2d c -> window(g, CONV2D, c.window(), c.k(), c);
            case LibraryCall.Conv2dInputGrad c -> window(g, CONV2D_INPUT_GRAD, c.window(), c.k(), c);
            case LibraryCall.Conv2dWeightGrad c -> window(g, CONV2D_WEIGHT_GRAD, c.window(), c.k(), c);
            case LibraryCall.Pool2d p -> window(g, p.kind() == Op.PoolKind.MAX ? MAX_POOL : AVG_POOL, p.window(), null, p);
            case LibraryCall.Pool2dGrad p -> window(g, p.kind() == Op.PoolKind.MAX ? MAX_POOL_GRAD : AVG_POOL_GRAD, p.window(), null, p);
            case LibraryCall.OneHot o -> {
                pushInt(g, o.rows());
                g.push(o.classes());
                operands(g, o);
                Asm.invoke(g, ONE_HOT);
            }
            case LibraryCall.CausalMask m -> {
                g.push(m.n());
                operands(g, m);
                Asm.invoke(g, CAUSAL_MASK);
            }
            case LibraryCall.RecurrentForward r -> {
                recurrentSizes(g, r.n(), r.t(), r.f(), r.h());
                operands(g, r);
                Asm.invoke(g, r.kind() == Op.RecurrentKind.RNN ? RNN_FORWARD : LSTM_FORWARD);
            }
            case LibraryCall.RecurrentBackward r -> {
                recurrentSizes(g, r.n(), r.t(), r.f(), r.h());
                operands(g, r);
                Asm.invoke(g, r.kind() == Op.RecurrentKind.RNN ? RNN_BACKWARD : LSTM_BACKWARD);
            }
            case LibraryCall.Uniform u -> {
                // seed' = seed ^ (stream · 0x9E3779B9), as Op.RandomUniform.mixedSeed
                Asm.pushSegment(g, u.seed().buffer());
                g.getStatic(Asm.VALUE_LAYOUT, "JAVA_INT", Asm.OF_INT);
                g.push(plan.floatIndex(u.seed()));
                g.invokeInterface(Asm.SEGMENT, Asm.GET_INT);
                g.push(Op.RandomUniform.mixedSeed(0, u.stream()));
                g.math(GeneratorAdapter.XOR, Type.INT_TYPE);
                pushLong(g, u.count());
                operand(g, u.out());
                Asm.invoke(g, FILL_UNIFORM);
            }
        }
    }

    /** {@code kernel(n, c, h, w, [k,] kh, kw, strideH, strideW, padH, padW, operands…)}: every sliding-window kernel. */
    private void window(GeneratorAdapter g, Method kernel, Window w, Integer k, LibraryCall call) {
        pushInt(g, w.n());
        g.push(w.c());
        g.push(w.h());
        g.push(w.w());
        if (k != null) g.push(k);
        for (int v : new int[] {w.kh(), w.kw(), w.strideH(), w.strideW(), w.padH(), w.padW()}) g.push(v);
        operands(g, call);
        Asm.invoke(g, kernel);
    }

    private static void recurrentSizes(GeneratorAdapter g, dev.nnc.compiler.ir.Dim n, int t, int f, int h) {
        pushInt(g, n);
        g.push(t);
        g.push(f);
        g.push(h);
    }

    /** Every operand of {@code call} as (segment, offset), in {@link LibraryCall#uses} order. */
    private void operands(GeneratorAdapter g, LibraryCall call) {
        for (Use u : call.uses()) operand(g, u.operand());
    }

    private void operand(GeneratorAdapter g, Operand o) {
        Asm.pushOperand(g, plan, o);
    }
}

package dev.nnc.compiler.kernel;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Which buffers a kernel reads and writes, and kernels with their operands rewritten. */
public final class KernelAccess {

    private KernelAccess() {}

    /** Every buffer the kernel reads (including through an epilogue). */
    public static Set<Buffer> reads(Kernel k) {
        Set<Buffer> r = new LinkedHashSet<>();
        switch (k) {
            case Kernel.Loop l -> loads(l.value(), r);
            case Kernel.Gemm g -> {
                r.add(g.a().buffer());
                r.add(g.b().buffer());
                if (g.epilogue() != null) loads(g.epilogue().value(), r);
            }
            case Kernel.Conv c -> {
                r.add(c.x().buffer());
                r.add(c.weight().buffer());
                if (c.epilogue() != null) loads(c.epilogue().value(), r);
            }
            case Kernel.Pool p -> r.add(p.x().buffer());
            case Kernel.ConvInputGrad c -> r.addAll(List.of(c.dy().buffer(), c.weight().buffer()));
            case Kernel.ConvWeightGrad c -> r.addAll(List.of(c.x().buffer(), c.dy().buffer()));
            case Kernel.PoolGrad p -> r.addAll(List.of(p.x().buffer(), p.dy().buffer()));
            case Kernel.OneHot o -> r.add(o.labels().buffer());
            case Kernel.Uniform u -> r.add(u.seed().buffer());
            case Kernel.CausalMask m -> { }
            case Kernel.RecurrentForward f -> r.addAll(List.of(f.x().buffer(), f.wIh().buffer(), f.wHh().buffer(), f.bIh().buffer(), f.bHh().buffer()));
            case Kernel.RecurrentBackward b -> {
                r.addAll(List.of(b.x().buffer(), b.wIh().buffer(), b.wHh().buffer(), b.bIh().buffer(), b.bHh().buffer(), b.y().buffer(), b.dy().buffer()));
                if (b.cells() != null) r.add(b.cells().buffer());
            }
        }
        return r;
    }

    /** Every buffer the kernel writes (scratch included). */
    public static Set<Buffer> writes(Kernel k) {
        return switch (k) {
            case Kernel.Loop l -> Set.of(l.out().buffer());
            case Kernel.Gemm g -> Set.of(g.c().buffer());
            case Kernel.Conv c -> Set.of(c.y().buffer(), c.scratch().buffer());
            case Kernel.Pool p -> Set.of(p.y().buffer());
            case Kernel.ConvInputGrad c -> Set.of(c.dx().buffer(), c.scratch().buffer());
            case Kernel.ConvWeightGrad c -> Set.of(c.dw().buffer(), c.scratch().buffer());
            case Kernel.PoolGrad p -> Set.of(p.dx().buffer());
            case Kernel.OneHot o -> Set.of(o.out().buffer());
            case Kernel.Uniform u -> Set.of(u.out().buffer());
            case Kernel.CausalMask m -> Set.of(m.out().buffer());
            case Kernel.RecurrentForward f -> f.cells() == null ? Set.of(f.y().buffer()) : Set.of(f.y().buffer(), f.cells().buffer());
            case Kernel.RecurrentBackward b -> Set.of(b.dx().buffer(), b.dW().buffer(), b.scratch().buffer());
        };
    }

    /** Buffers loaded anywhere in {@code e}. */
    public static void loads(LoopExpr e, Set<Buffer> into) {
        switch (e) {
            case LoopExpr.Load l -> into.add(l.src().buffer());
            case LoopExpr.Unary u -> loads(u.x(), into);
            case LoopExpr.Binary b -> {
                loads(b.a(), into);
                loads(b.b(), into);
            }
            case LoopExpr.Reduce r -> loads(r.body(), into);
            case LoopExpr.Const c -> { }
            case LoopExpr.DimValue d -> { }
        }
    }

    /** Whether {@code e} loads from {@code buffer}. */
    static boolean loadsBuffer(LoopExpr e, Buffer buffer) {
        Set<Buffer> loaded = new LinkedHashSet<>();
        loads(e, loaded);
        return loaded.contains(buffer);
    }

    /** {@code e} (which has no reduction) with every load's strides passed through {@code restride}. */
    static LoopExpr restride(LoopExpr e, UnaryOperator<long[]> restride) {
        return switch (e) {
            case LoopExpr.Load l -> new LoopExpr.Load(l.src(), restride.apply(l.strides()));
            case LoopExpr.Unary u -> new LoopExpr.Unary(u.kind(), restride(u.x(), restride));
            case LoopExpr.Binary b -> new LoopExpr.Binary(b.kind(), restride(b.a(), restride), restride(b.b(), restride));
            case LoopExpr.Reduce r -> throw new IllegalArgumentException("cannot re-index a reduction: " + r);
            case LoopExpr.Const c -> c;
            case LoopExpr.DimValue d -> d;
        };
    }

    /** {@code e} with every load's operand passed through {@code rename}. */
    static LoopExpr renameLoads(LoopExpr e, UnaryOperator<Operand> rename) {
        return switch (e) {
            case LoopExpr.Load l -> new LoopExpr.Load(rename.apply(l.src()), l.strides());
            case LoopExpr.Unary u -> new LoopExpr.Unary(u.kind(), renameLoads(u.x(), rename));
            case LoopExpr.Binary b -> new LoopExpr.Binary(b.kind(), renameLoads(b.a(), rename), renameLoads(b.b(), rename));
            case LoopExpr.Reduce r -> new LoopExpr.Reduce(r.kind(), r.extent(), renameLoads(r.body(), rename));
            case LoopExpr.Const c -> c;
            case LoopExpr.DimValue d -> d;
        };
    }

    /** {@code k} with every operand (read or written) passed through {@code rename}. */
    static Kernel rename(Kernel k, UnaryOperator<Operand> rename) {
        return switch (k) {
            case Kernel.Loop l -> renameLoop(l, rename);
            case Kernel.Gemm g -> new Kernel.Gemm(g.computes(), g.transA(), g.transB(), g.batch(), g.m(), g.n(), g.k(), rename.apply(g.a()), g.lda(),
                    g.strideA(), rename.apply(g.b()), g.ldb(), g.strideB(), rename.apply(g.c()), g.ldc(), g.strideC(),
                    g.epilogue() == null ? null : renameLoop(g.epilogue(), rename), g.packedB());
            case Kernel.Conv c -> new Kernel.Conv(c.computes(), c.n(), c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(), c.strideW(),
                    c.padH(), c.padW(), rename.apply(c.x()), rename.apply(c.weight()), rename.apply(c.y()), rename.apply(c.scratch()),
                    c.epilogue() == null ? null : renameLoop(c.epilogue(), rename));
            case Kernel.Pool p -> new Kernel.Pool(p.computes(), p.kind(), p.n(), p.c(), p.h(), p.w(), p.kh(), p.kw(), p.strideH(), p.strideW(),
                    p.padH(), p.padW(), rename.apply(p.x()), rename.apply(p.y()));
            case Kernel.ConvInputGrad c -> new Kernel.ConvInputGrad(c.computes(), c.n(), c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(),
                    c.strideW(), c.padH(), c.padW(), rename.apply(c.dy()), rename.apply(c.weight()), rename.apply(c.dx()), rename.apply(c.scratch()));
            case Kernel.ConvWeightGrad c -> new Kernel.ConvWeightGrad(c.computes(), c.n(), c.c(), c.h(), c.w(), c.k(), c.kh(), c.kw(), c.strideH(),
                    c.strideW(), c.padH(), c.padW(), rename.apply(c.x()), rename.apply(c.dy()), rename.apply(c.dw()), rename.apply(c.scratch()));
            case Kernel.PoolGrad p -> new Kernel.PoolGrad(p.computes(), p.kind(), p.n(), p.c(), p.h(), p.w(), p.kh(), p.kw(), p.strideH(),
                    p.strideW(), p.padH(), p.padW(), rename.apply(p.x()), rename.apply(p.dy()), rename.apply(p.dx()));
            case Kernel.OneHot o -> new Kernel.OneHot(o.computes(), o.rows(), o.classes(), rename.apply(o.labels()), rename.apply(o.out()));
            case Kernel.Uniform u -> new Kernel.Uniform(u.computes(), u.count(), rename.apply(u.seed()), u.stream(), rename.apply(u.out()));
            case Kernel.CausalMask m -> new Kernel.CausalMask(m.computes(), m.n(), rename.apply(m.out()));
            case Kernel.RecurrentForward f -> new Kernel.RecurrentForward(f.computes(), f.kind(), f.n(), f.t(), f.f(), f.h(), rename.apply(f.x()),
                    rename.apply(f.wIh()), rename.apply(f.wHh()), rename.apply(f.bIh()), rename.apply(f.bHh()), rename.apply(f.y()),
                    f.cells() == null ? null : rename.apply(f.cells()));
            case Kernel.RecurrentBackward b -> new Kernel.RecurrentBackward(b.computes(), b.kind(), b.n(), b.t(), b.f(), b.h(), rename.apply(b.x()),
                    rename.apply(b.wIh()), rename.apply(b.wHh()), rename.apply(b.bIh()), rename.apply(b.bHh()), rename.apply(b.y()),
                    b.cells() == null ? null : rename.apply(b.cells()), rename.apply(b.dy()), rename.apply(b.dx()), rename.apply(b.dW()),
                    rename.apply(b.scratch()));
        };
    }

    private static Kernel.Loop renameLoop(Kernel.Loop l, UnaryOperator<Operand> rename) {
        return new Kernel.Loop(l.computes(), l.dims(), rename.apply(l.out()), l.outStrides(), renameLoads(l.value(), rename));
    }
}

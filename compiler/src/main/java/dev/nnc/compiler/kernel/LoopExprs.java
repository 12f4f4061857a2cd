package dev.nnc.compiler.kernel;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Queries and rewrites over loop expressions, shared by the analyses, fusion and the emitters. */
public final class LoopExprs {

    private LoopExprs() {}

    /** A load in an expression, and whether it sits inside the expression's reduction. */
    public record Site(LoopExpr.Load load, boolean inReduction) {}

    /** Every load of {@code e} in evaluation order, repeats included. */
    public static List<LoopExpr.Load> loads(LoopExpr e) {
        return sites(e).stream().map(Site::load).toList();
    }

    /** Every load of {@code e} in evaluation order with where it sits. */
    public static List<Site> sites(LoopExpr e) {
        List<Site> all = new ArrayList<>();
        collect(e, false, all);
        return all;
    }

    private static void collect(LoopExpr e, boolean inReduction, List<Site> into) {
        switch (e) {
            case LoopExpr.Load l -> into.add(new Site(l, inReduction));
            case LoopExpr.Unary u -> collect(u.x(), inReduction, into);
            case LoopExpr.Binary b -> {
                collect(b.a(), inReduction, into);
                collect(b.b(), inReduction, into);
            }
            case LoopExpr.Reduce r -> collect(r.body(), true, into);
            case LoopExpr.Const c -> { }
            case LoopExpr.DimValue d -> { }
        }
    }

    /** The distinct operands {@code e} loads, in first-load order. */
    static List<Operand> loadedOperands(LoopExpr e) {
        Set<Operand> seen = new LinkedHashSet<>();
        for (LoopExpr.Load l : loads(e)) seen.add(l.src());
        return List.copyOf(seen);
    }

    /** Whether {@code e} loads from {@code buffer}. */
    static boolean loadsBuffer(LoopExpr e, Buffer buffer) {
        return loads(e).stream().anyMatch(l -> l.src().buffer().equals(buffer));
    }

    /** The reduction in {@code e} (a loop expression has at most one), or null. */
    public static LoopExpr.Reduce reduction(LoopExpr e) {
        return switch (e) {
            case LoopExpr.Reduce r -> r;
            case LoopExpr.Unary u -> reduction(u.x());
            case LoopExpr.Binary b -> {
                LoopExpr.Reduce r = reduction(b.a());
                yield r != null ? r : reduction(b.b());
            }
            case LoopExpr.Load l -> null;
            case LoopExpr.Const c -> null;
            case LoopExpr.DimValue d -> null;
        };
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
}

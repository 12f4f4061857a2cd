package dev.nnc.compiler.emit;

import static dev.nnc.compiler.emit.Asm.BROADCAST;
import static dev.nnc.compiler.emit.Asm.BYTE_ORDER;
import static dev.nnc.compiler.emit.Asm.FLOAT_VECTOR;
import static dev.nnc.compiler.emit.Asm.FROM_SEGMENT;
import static dev.nnc.compiler.emit.Asm.GET_FLOAT;
import static dev.nnc.compiler.emit.Asm.INTO_SEGMENT;
import static dev.nnc.compiler.emit.Asm.LENGTH;
import static dev.nnc.compiler.emit.Asm.LOOP_BOUND;
import static dev.nnc.compiler.emit.Asm.OF_FLOAT;
import static dev.nnc.compiler.emit.Asm.ORDER_FIELD;
import static dev.nnc.compiler.emit.Asm.LANE;
import static dev.nnc.compiler.emit.Asm.SEGMENT;
import static dev.nnc.compiler.emit.Asm.SET_FLOAT;
import static dev.nnc.compiler.emit.Asm.SPECIES_FIELD;
import static dev.nnc.compiler.emit.Asm.VALUE_LAYOUT;
import static dev.nnc.compiler.emit.Asm.VECTOR_SPECIES;
import static dev.nnc.compiler.emit.Asm.pushLong;
import static dev.nnc.compiler.emit.Asm.pushSegment;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.LoopExpr;
import dev.nnc.compiler.kernel.LoopExprs;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.Label;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;

/**
 * Emits a loop kernel as a loop nest with its extents, strides and buffer offsets baked in as constants (only the
 * batch is a run-time value), so the JIT specializes it. When {@link #lanes} allows, the innermost loop or the
 * reduction steps by whole vectors of {@code SPECIES_PREFERRED}, followed by a scalar tail; the operations themselves
 * are {@link Elementwise}'s.
 */
final class LoopEmitter {

    private final MemoryPlan plan;
    private final Type selfType;

    LoopEmitter(MemoryPlan plan, Type selfType) {
        this.plan = plan;
        this.selfType = selfType;
    }

    /**
     * {@code for i_0 … for i_{r−1}: out[…] = value}, with a reduction hoisted into a local before the store. When
     * {@link #lanes} allows, the innermost loop (or the reduction) steps by whole vectors, followed by a scalar tail.
     */
    void emit(GeneratorAdapter g, Kernel.Loop loop) {
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
        List<LoopExpr.Load> loads = LoopExprs.loads(loop.value());
        boolean innerContiguous = loop.outStrides()[rank - 1] == 1 && wide(loop.dims().get(rank - 1))
                && loads.stream().allMatch(l -> unitOrZero(l.strides(), rank - 1));
        if (innerContiguous && hasVectorForm(loop.value())) return Lanes.INNER_LOOP;
        LoopExpr.Reduce reduce = LoopExprs.reduction(loop.value());
        if (reduce == null || !wide(reduce.extent()) || !hasVectorForm(reduce.body())) return Lanes.NONE;
        List<LoopExpr.Load> reduced = LoopExprs.loads(reduce.body());
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

    /** Whether every operation in {@code e} has a vector formulation . */
    private static boolean hasVectorForm(LoopExpr e) {
        return switch (e) {
            case LoopExpr.Load l -> true;
            case LoopExpr.Const c -> true;
            case LoopExpr.DimValue d -> true;
            case LoopExpr.Reduce r -> hasVectorForm(r.body());
            case LoopExpr.Binary b -> hasVectorForm(b.a()) && hasVectorForm(b.b());
            case LoopExpr.Unary u -> hasVectorForm(u.x()) && Elementwise.hasVectorForm(u.kind());
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
        LoopExpr.Reduce reduce = LoopExprs.reduction(loop.value());
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
        List<LoopExpr.Load> loads = LoopExprs.loads(loop.value());
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
                LoopExpr.Reduce reduce = LoopExprs.reduction(loop.value());
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
            new Elementwise(g, selfType).combine(reduce.kind(), p.vector());
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
        List<LoopExpr.Load> loads = LoopExprs.loads(reduce.body());
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
            new Elementwise(g, selfType).combine(reduce.kind(), true);
            g.storeLocal(lanes);
        });
        // the lanes folded in lane order (reduceLanes' order is unspecified and differs between JIT tiers; a shuffle
        // tree would need VectorShuffle objects, which C2 left boxed here); once per row, not per element
        int acc = g.newLocal(Type.FLOAT_TYPE);
        g.push(identity(reduce.kind()));
        g.storeLocal(acc);
        int lane = g.newLocal(Type.INT_TYPE);
        g.push(0);
        g.storeLocal(lane);
        Label top = g.mark();
        Label end = new Label();
        g.loadLocal(lane);
        g.getStatic(selfType, SPECIES_FIELD, VECTOR_SPECIES);
        g.invokeInterface(VECTOR_SPECIES, LENGTH);
        g.ifICmp(GeneratorAdapter.GE, end);
        g.loadLocal(acc);
        g.loadLocal(lanes);
        g.loadLocal(lane);
        g.invokeVirtual(FLOAT_VECTOR, LANE);
        new Elementwise(g, selfType).combine(reduce.kind(), false);
        g.storeLocal(acc);
        g.iinc(lane, 1);
        g.goTo(top);
        g.mark(end);
        scalarSteps(g, r, extent, () -> {
            g.loadLocal(acc);
            emitExpr(g, reduce.body(), body.asScalar());
            new Elementwise(g, selfType).combine(reduce.kind(), false);
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
                if (p.vector()) new Elementwise(g, selfType).vectorUnary(u.kind());
                else new Elementwise(g, selfType).unary(u.kind());
            }
            case LoopExpr.Binary b -> {
                emitExpr(g, b.a(), p);
                emitExpr(g, b.b(), p);
                if (p.vector()) new Elementwise(g, selfType).vectorBinary(b.kind());
                else new Elementwise(g, selfType).binary(b.kind());
            }
        }
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

}

package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * After this pass no loop kernel writes a buffer that exactly one later loop reads point for point (or that
 * cheap recomputation could replace), and every elementwise consumer of a GEMM or convolution result that is its
 * only reader runs as that kernel's in-place epilogue. Rules, applied to a fixed point:
 * <ol>
 *   <li><b>Inline</b>: a reduction-free loop kernel P is substituted into the loops that read its buffer when each
 *       reader's index maps onto P's points (equal dims, P's size-1 dims broadcast, or P's dims read along a
 *       consumer's reduction), no kernel in between writes what P reads, and P either has one reader or is cheap
 *       to recompute. P and its buffer disappear. Elementwise chains become one loop; producers of a reduction
 *       join its body (softmax, layernorm, cross-entropy and their gradients).</li>
 *   <li><b>Epilogue</b>: a loop that is the only reader of a GEMM/convolution result and reads it point for point
 *       becomes that kernel's epilogue, writing in place; its own buffer is renamed to the result's.</li>
 * </ol>
 * Views are already index arithmetic (lowering folds them into load strides). Expensive work (library calls,
 * reductions) is never duplicated.
 */
public final class Fusion {

    /** A producer reads at most this many ops per point to be recomputed by several readers. */
    private static final int CHEAP_OPS = 6;

    /**
     * A fused loop's expression stays below this {@link #size}: the emitter prints it twice (vector body and scalar
     * tail) with transcendental functions inline, and a JVM method over 8,000 bytes is never JIT-compiled (over
     * 64 KB it cannot even be written), so a long chain becomes several kernels instead of one that never runs fast.
     */
    static final int MAX_FUSED_SIZE = 120;

    private final KernelProgram program;
    private final List<Kernel> kernels;
    private final Map<Buffer, Buffer> renamed = new LinkedHashMap<>();

    private Fusion(KernelProgram program) {
        this.program = program;
        this.kernels = new ArrayList<>(program.kernels());
    }

    public static KernelProgram fuse(KernelProgram program) {
        return new Fusion(program).run();
    }

    private KernelProgram run() {
        boolean changed = true;
        while (changed) {
            changed = false;
            // one sweep: after an inline at i, the kernel before i may now inline into the merged one, so step back one
            for (int i = 0; i < kernels.size(); ) {
                if (inline(i)) {
                    changed = true;
                    i = Math.max(0, i - 1);
                } else {
                    i++;
                }
            }
            for (int i = 0; i < kernels.size() && !changed; i++) changed = epilogue(i);
        }
        Map<String, Operand> outputs = new LinkedHashMap<>();
        program.outputs().forEach((name, o) -> outputs.put(name, rename(o)));
        Set<Buffer> used = new HashSet<>();
        for (Kernel k : kernels) {
            used.addAll(k.reads());
            used.addAll(k.writes());
        }
        program.inputs().values().forEach(o -> used.add(o.buffer()));
        outputs.values().forEach(o -> used.add(o.buffer()));
        used.addAll(program.params().values());
        List<Buffer> buffers = program.buffers().stream().filter(used::contains).toList();
        return new KernelProgram(program.name(), program.maxBatch(), buffers, kernels, program.inputs(), outputs, program.params());
    }

    // ---- rule 1: inline a loop into its readers ----------------------------------------------------

    private boolean inline(int p) {
        if (!(kernels.get(p) instanceof Kernel.Loop producer) || LoopExprs.reduction(producer.value()) != null) return false;
        Buffer target = producer.out().buffer();
        if (producer.out().offset() != 0 || !contiguous(producer) || target.memory() != Buffer.Memory.ARENA) return false;
        if (isInterface(target) || producer.dims().isEmpty()) return false;
        List<Integer> readers = new ArrayList<>();
        for (int c = p + 1; c < kernels.size(); c++) {
            Kernel k = kernels.get(c);
            if (k.reads().contains(target)) {
                if (!(k instanceof Kernel.Loop)) return false;           // a library call needs it in memory
                readers.add(c);
            }
            if (k.writes().contains(target)) break;         // a later writer starts a new value
        }
        if (readers.isEmpty() || (readers.size() > 1 && ops(producer.value()) > CHEAP_OPS)) return false;
        Set<Buffer> producerReads = producer.reads();
        List<Kernel.Loop> fused = new ArrayList<>();
        for (int c : readers) {
            Kernel.Loop consumer = (Kernel.Loop) kernels.get(c);
            for (int between = p + 1; between < c; between++) {
                if (!disjoint(kernels.get(between).writes(), producerReads)) return false;
            }
            if (size(consumer.value()) + size(producer.value()) > MAX_FUSED_SIZE && size(consumer.value()) > 1) return false;
            LoopExpr value = substitute(consumer.value(), producer, consumer.dims(), null);
            if (value == null || !safeInPlace(consumer, value, producerReads) || size(value) > MAX_FUSED_SIZE) return false;
            fused.add(new Kernel.Loop(concat(producer.computes(), consumer.computes()), consumer.dims(), consumer.out(), consumer.outStrides(), value));
        }
        for (int i = 0; i < readers.size(); i++) kernels.set(readers.get(i), fused.get(i));
        kernels.remove(p);
        return true;
    }

    /**
     * {@code e} with every load of the producer's buffer replaced by the producer's expression re-indexed into the
     * consumer's loop, or null if some load is not a plain (possibly broadcast) read of the producer's points.
     */
    private static LoopExpr substitute(LoopExpr e, Kernel.Loop producer, List<Dim> dims, Dim reduceExtent) {
        return switch (e) {
            case LoopExpr.Load l when l.src().buffer().equals(producer.out().buffer()) -> {
                List<Dim> extents = new ArrayList<>(dims);
                if (reduceExtent != null) extents.add(reduceExtent);
                yield l.src().offset() == 0 ? reindex(producer, l.strides(), extents) : null;
            }
            case LoopExpr.Load l -> l;
            case LoopExpr.Const c -> c;
            case LoopExpr.DimValue d -> d;
            case LoopExpr.Unary u -> {
                LoopExpr x = substitute(u.x(), producer, dims, reduceExtent);
                yield x == null ? null : new LoopExpr.Unary(u.kind(), x);
            }
            case LoopExpr.Binary b -> {
                LoopExpr a = substitute(b.a(), producer, dims, reduceExtent);
                LoopExpr c = substitute(b.b(), producer, dims, reduceExtent);
                yield a == null || c == null ? null : new LoopExpr.Binary(b.kind(), a, c);
            }
            case LoopExpr.Reduce r -> {
                LoopExpr body = substitute(r.body(), producer, dims, r.extent());
                yield body == null ? null : new LoopExpr.Reduce(r.kind(), r.extent(), body);
            }
        };
    }

    /**
     * The producer's expression in the consumer's index space, given the strides and extents with which the
     * consumer reads the producer's buffer. Each producer dimension of size > 1 must be read by exactly one
     * consumer index of the same extent and the producer's stride; every other consumer index must not move
     * the read (stride 0), so the consumer visits producer points, possibly repeatedly (broadcast).
     */
    private static LoopExpr reindex(Kernel.Loop producer, long[] readStrides, List<Dim> extents) {
        List<Dim> dims = producer.dims();
        long[] written = producer.outStrides();
        int[] map = new int[dims.size()];
        boolean[] used = new boolean[readStrides.length];
        for (int d = 0; d < dims.size(); d++) {
            map[d] = -1;
            if (dims.get(d).isOne()) continue;
            for (int e = 0; e < readStrides.length; e++) {
                if (!used[e] && readStrides[e] == written[d] && extents.get(e).equals(dims.get(d))) {
                    map[d] = e;
                    used[e] = true;
                    break;
                }
            }
            if (map[d] < 0) return null;
        }
        for (int e = 0; e < readStrides.length; e++) if (readStrides[e] != 0 && !used[e]) return null;
        return LoopExprs.restride(producer.value(), strides -> {
            long[] mapped = new long[readStrides.length];
            for (int d = 0; d < dims.size(); d++) if (map[d] >= 0) mapped[map[d]] += strides[d];
            return mapped;
        });
    }

    /** The consumer may overwrite a buffer the inlined producer reads only where it reads the very point it writes. */
    private static boolean safeInPlace(Kernel.Loop consumer, LoopExpr value, Set<Buffer> producerReads) {
        Buffer out = consumer.out().buffer();
        if (!producerReads.contains(out)) return true;
        return readsOnlyAt(value, out, consumer.out().offset(), consumer.outStrides());
    }

    private static boolean readsOnlyAt(LoopExpr e, Buffer buffer, long offset, long[] strides) {
        return switch (e) {
            case LoopExpr.Load l -> !l.src().buffer().equals(buffer) || (l.src().offset() == offset && Arrays.equals(l.strides(), strides));
            case LoopExpr.Unary u -> readsOnlyAt(u.x(), buffer, offset, strides);
            case LoopExpr.Binary b -> readsOnlyAt(b.a(), buffer, offset, strides) && readsOnlyAt(b.b(), buffer, offset, strides);
            case LoopExpr.Reduce r -> !LoopExprs.loadsBuffer(r.body(), buffer);
            case LoopExpr.Const c -> true;
            case LoopExpr.DimValue d -> true;
        };
    }

    // ---- rule 2: elementwise consumers as GEMM / convolution epilogues -------------------------------

    private boolean epilogue(int p) {
        if (!(kernels.get(p) instanceof Kernel.Call k) || k.epilogue() != null) return false;
        LibraryCall.EpilogueTarget target = k.call().epilogueTarget();
        if (target == null) return false;
        Operand result = target.out();
        List<Dim> dims = target.dims();
        Buffer buffer = result.buffer();
        if (result.offset() != 0 || isInterface(buffer)) return false;
        int reader = -1;
        for (int c = p + 1; c < kernels.size(); c++) {
            if (kernels.get(c).reads().contains(buffer)) {
                if (reader >= 0) return false;
                reader = c;
            }
        }
        if (reader < 0 || !(kernels.get(reader) instanceof Kernel.Loop consumer) || LoopExprs.reduction(consumer.value()) != null) return false;
        long[] strides = contiguousStrides(dims);
        Buffer out = consumer.out().buffer();
        if (!consumer.dims().equals(dims) || !Arrays.equals(consumer.outStrides(), strides) || consumer.out().offset() != 0
                || out.memory() != Buffer.Memory.ARENA || program.inputs().values().stream().anyMatch(o -> o.buffer().equals(out))
                || !readsOnlyAt(consumer.value(), buffer, 0, strides)) {
            return false;
        }
        for (int between = p + 1; between < reader; between++) {
            Set<Buffer> touched = new HashSet<>(kernels.get(between).writes());
            touched.addAll(kernels.get(between).reads());
            if (touched.contains(out) || !disjoint(kernels.get(between).writes(), consumer.reads())) return false;
        }
        Kernel.Loop inPlace = new Kernel.Loop(consumer.computes(), dims, result, strides, consumer.value());
        List<String> computes = concat(k.computes(), consumer.computes());
        kernels.set(p, k.withEpilogue(computes, inPlace));
        kernels.remove(reader);
        renameEverywhere(out, buffer);
        return true;
    }

    /** From now on the consumer's buffer is the library call's result buffer. */
    private void renameEverywhere(Buffer from, Buffer to) {
        renamed.put(from, to);
        for (int i = 0; i < kernels.size(); i++) {
            kernels.set(i, kernels.get(i).withOperands(o -> o.buffer().equals(from) ? new Operand(to, o.offset()) : o));
        }
    }

    private Operand rename(Operand o) {
        Buffer b = o.buffer();
        while (renamed.containsKey(b)) b = renamed.get(b);
        return b.equals(o.buffer()) ? o : new Operand(b, o.offset());
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Graph inputs and outputs live where the session expects them; they are never fused away. */
    private boolean isInterface(Buffer b) {
        for (Operand o : program.inputs().values()) if (o.buffer().equals(b)) return true;
        for (Operand o : program.outputs().values()) if (rename(o).buffer().equals(b)) return true;
        return false;
    }

    private static boolean contiguous(Kernel.Loop l) {
        return Arrays.equals(l.outStrides(), contiguousStrides(l.dims()));
    }

    private static long[] contiguousStrides(List<Dim> dims) {
        long[] s = new long[dims.size()];
        long acc = 1;
        for (int i = dims.size() - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims.get(i).factor();
        }
        return s;
    }

    /** A loop expression's code size in rough units of emitted bytecode: transcendental functions are emitted inline. */
    static int size(LoopExpr e) {
        return switch (e) {
            case LoopExpr.Unary u -> size(u.x()) + switch (u.kind()) {
                case TANH, EXP, LOG, SIGMOID, GELU, GELU_GRAD -> 12;
                case SOFTPLUS -> 24;
                case NEG, RELU, SQRT, STEP, ABS, SIGN -> 2;
            };
            case LoopExpr.Binary b -> 2 + size(b.a()) + size(b.b());
            case LoopExpr.Reduce r -> 4 + size(r.body());
            case LoopExpr.Load l -> 1;
            case LoopExpr.Const c -> 1;
            case LoopExpr.DimValue d -> 1;
        };
    }

    private static int ops(LoopExpr e) {
        return switch (e) {
            case LoopExpr.Unary u -> 1 + ops(u.x());
            case LoopExpr.Binary b -> 1 + ops(b.a()) + ops(b.b());
            case LoopExpr.Reduce r -> CHEAP_OPS + 1;
            case LoopExpr.Load l -> 0;
            case LoopExpr.Const c -> 0;
            case LoopExpr.DimValue d -> 0;
        };
    }

    private static boolean disjoint(Set<Buffer> a, Set<Buffer> b) {
        for (Buffer x : a) if (b.contains(x)) return false;
        return true;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        for (String s : b) if (!all.contains(s)) all.add(s);
        return all;
    }
}

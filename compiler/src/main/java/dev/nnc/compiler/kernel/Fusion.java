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
 *
 * <p>The pass keeps an index of which kernel positions read and write each buffer (a fused-away kernel leaves an empty
 * position), so finding a producer's readers or a conflicting write in between is a lookup, not a scan, and its cost
 * grows linearly with the program: a 100,000-op chain takes 8 steps per op ({@code FusionScalingTest}).
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
    /** The kernels by position; a fused-away kernel leaves null, so positions never shift and the index stays valid. */
    private final List<Kernel> kernels;
    /** The positions still holding a kernel. */
    private final java.util.TreeSet<Integer> alive = new java.util.TreeSet<>();
    /** For each buffer, the positions of the kernels that read it, and of those that write it (scratch included). */
    private final Map<Buffer, java.util.TreeSet<Integer>> readers = new java.util.HashMap<>();
    private final Map<Buffer, java.util.TreeSet<Integer>> writers = new java.util.HashMap<>();
    /** {@link Kernel#reads()} and {@link Kernel#writes()} walk the expression; each kernel's are computed once. */
    private final Map<Kernel, Set<Buffer>> readCache = new java.util.IdentityHashMap<>();
    private final Map<Kernel, Set<Buffer>> writeCache = new java.util.IdentityHashMap<>();
    private final Map<Buffer, Buffer> renamed = new LinkedHashMap<>();
    /** Steps taken (rule attempts, index updates, index entries visited): what {@link #work} reports to the scaling test. */
    private long work;

    private Fusion(KernelProgram program) {
        this.program = program;
        this.kernels = new ArrayList<>();
        for (Kernel k : program.kernels()) {
            kernels.add(null);
            put(kernels.size() - 1, k);
        }
    }

    public static KernelProgram fuse(KernelProgram program) {
        return new Fusion(program).run();
    }

    /** The steps fusing {@code program} takes, a machine-independent measure of the pass's cost (for tests). */
    static long work(KernelProgram program) {
        Fusion fusion = new Fusion(program);
        fusion.run();
        return fusion.work;
    }

    private KernelProgram run() {
        boolean changed = true;
        while (changed) {
            changed = false;
            // one sweep: after an inline at i, the kernel before i may now inline into the merged one, so step back one
            for (Integer i = first(); i != null; ) {
                if (inline(i)) {
                    changed = true;
                    Integer before = alive.lower(i);
                    i = before != null ? before : first();
                } else {
                    i = alive.higher(i);
                }
            }
            for (Integer i = first(); i != null && !changed; i = alive.higher(i)) changed = epilogue(i);
        }
        List<Kernel> fused = new ArrayList<>();
        for (int i : alive) fused.add(kernels.get(i));
        Map<String, Operand> outputs = new LinkedHashMap<>();
        program.outputs().forEach((name, o) -> outputs.put(name, rename(o)));
        Set<Buffer> used = new HashSet<>();
        for (Kernel k : fused) {
            used.addAll(reads(k));
            used.addAll(writes(k));
        }
        program.inputs().values().forEach(o -> used.add(o.buffer()));
        outputs.values().forEach(o -> used.add(o.buffer()));
        used.addAll(program.params().values());
        List<Buffer> buffers = program.buffers().stream().filter(used::contains).toList();
        return new KernelProgram(program.name(), program.maxBatch(), buffers, fused, program.inputs(), outputs, program.params());
    }

    // ---- rule 1: inline a loop into its readers ----------------------------------------------------

    private boolean inline(int p) {
        work++;
        if (!(kernels.get(p) instanceof Kernel.Loop producer) || LoopExprs.reduction(producer.value()) != null) return false;
        Buffer target = producer.out().buffer();
        if (producer.out().offset() != 0 || !contiguous(producer) || target.memory() != Buffer.Memory.ARENA) return false;
        if (isInterface(target) || producer.dims().isEmpty()) return false;
        // the readers up to and including the next kernel that writes the buffer again (a later writer starts a new value)
        Integer nextWriter = positions(writers, target).higher(p);
        List<Integer> readerPositions = new ArrayList<>(positions(readers, target).subSet(p, false, nextWriter == null ? Integer.MAX_VALUE : nextWriter, true));
        work += readerPositions.size();
        for (int c : readerPositions) {
            if (!(kernels.get(c) instanceof Kernel.Loop)) return false;           // a library call needs it in memory
        }
        if (readerPositions.isEmpty() || (readerPositions.size() > 1 && ops(producer.value()) > CHEAP_OPS)) return false;
        Set<Buffer> producerReads = reads(producer);
        List<Kernel.Loop> fused = new ArrayList<>();
        for (int c : readerPositions) {
            Kernel.Loop consumer = (Kernel.Loop) kernels.get(c);
            if (writtenBetween(producerReads, p, c)) return false;
            if (size(consumer.value()) + size(producer.value()) > MAX_FUSED_SIZE && size(consumer.value()) > 1) return false;
            LoopExpr value = substitute(consumer.value(), producer, consumer.dims(), null);
            if (value == null || !safeInPlace(consumer, value, producerReads) || size(value) > MAX_FUSED_SIZE) return false;
            fused.add(new Kernel.Loop(concat(producer.computes(), consumer.computes()), consumer.dims(), consumer.out(), consumer.outStrides(), value));
        }
        for (int i = 0; i < readerPositions.size(); i++) put(readerPositions.get(i), fused.get(i));
        remove(p);
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
        work++;
        if (!(kernels.get(p) instanceof Kernel.Call k) || k.epilogue() != null) return false;
        LibraryCall.EpilogueTarget target = k.call().epilogueTarget();
        if (target == null) return false;
        Operand result = target.out();
        List<Dim> dims = target.dims();
        Buffer buffer = result.buffer();
        if (result.offset() != 0 || isInterface(buffer)) return false;
        Set<Integer> later = positions(readers, buffer).tailSet(p, false);
        if (later.size() != 1) return false;
        int reader = later.iterator().next();
        if (!(kernels.get(reader) instanceof Kernel.Loop consumer) || LoopExprs.reduction(consumer.value()) != null) return false;
        long[] strides = contiguousStrides(dims);
        Buffer out = consumer.out().buffer();
        if (!consumer.dims().equals(dims) || !Arrays.equals(consumer.outStrides(), strides) || consumer.out().offset() != 0
                || out.memory() != Buffer.Memory.ARENA || program.inputs().values().stream().anyMatch(o -> o.buffer().equals(out))
                || !readsOnlyAt(consumer.value(), buffer, 0, strides)) {
            return false;
        }
        if (!positions(readers, out).subSet(p, false, reader, false).isEmpty() || writtenBetween(Set.of(out), p, reader)
                || writtenBetween(reads(consumer), p, reader)) {
            return false;
        }
        Kernel.Loop inPlace = new Kernel.Loop(consumer.computes(), dims, result, strides, consumer.value());
        List<String> computes = concat(k.computes(), consumer.computes());
        put(p, k.withEpilogue(computes, inPlace));
        remove(reader);
        renameEverywhere(out, buffer);
        return true;
    }

    /** From now on the consumer's buffer is the library call's result buffer, in every kernel that uses it. */
    private void renameEverywhere(Buffer from, Buffer to) {
        renamed.put(from, to);
        Set<Integer> users = new java.util.TreeSet<>(positions(readers, from));
        users.addAll(positions(writers, from));
        work += users.size();
        for (int i : users) put(i, kernels.get(i).withOperands(o -> o.buffer().equals(from) ? new Operand(to, o.offset()) : o));
    }

    // ---- the index ---------------------------------------------------------------------------------

    /** Puts {@code kernel} at position {@code i}, replacing (and unindexing) what was there. */
    private void put(int i, Kernel kernel) {
        work++;
        if (kernels.get(i) != null) unindex(i);
        kernels.set(i, kernel);
        alive.add(i);
        for (Buffer b : reads(kernel)) readers.computeIfAbsent(b, x -> new java.util.TreeSet<>()).add(i);
        for (Buffer b : writes(kernel)) writers.computeIfAbsent(b, x -> new java.util.TreeSet<>()).add(i);
    }

    private void remove(int i) {
        unindex(i);
        kernels.set(i, null);
        alive.remove(i);
    }

    private void unindex(int i) {
        Kernel old = kernels.get(i);
        for (Buffer b : reads(old)) positions(readers, b).remove(i);
        for (Buffer b : writes(old)) positions(writers, b).remove(i);
        readCache.remove(old);
        writeCache.remove(old);
    }

    /** Whether a kernel strictly between positions {@code from} and {@code to} writes one of {@code buffers}. */
    private boolean writtenBetween(Set<Buffer> buffers, int from, int to) {
        work += buffers.size();
        for (Buffer b : buffers) if (!positions(writers, b).subSet(from, false, to, false).isEmpty()) return true;
        return false;
    }

    private static java.util.NavigableSet<Integer> positions(Map<Buffer, java.util.TreeSet<Integer>> index, Buffer b) {
        java.util.TreeSet<Integer> found = index.get(b);
        return found != null ? found : java.util.Collections.emptyNavigableSet();
    }

    private Integer first() {
        return alive.isEmpty() ? null : alive.first();
    }

    private Set<Buffer> reads(Kernel k) {
        return readCache.computeIfAbsent(k, Kernel::reads);
    }

    private Set<Buffer> writes(Kernel k) {
        return writeCache.computeIfAbsent(k, Kernel::writes);
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

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        for (String s : b) if (!all.contains(s)) all.add(s);
        return all;
    }
}

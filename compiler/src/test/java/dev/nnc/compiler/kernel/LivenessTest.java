package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.kernel.MemoryPlanner.InPlace;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lifetimes and in-place candidates of a hand-built kernel program. */
class LivenessTest {

    private static final int MAX_BATCH = 2;
    private static final List<Dim> ROWS_BY_4 = List.of(Dim.batch(1), Dim.of(4));
    private static final long[] ROW_MAJOR = {4, 1};

    private final Buffer x = new Buffer(0, "input x", Buffer.Memory.ARENA, Dim.batch(4));
    private final Buffer w = new Buffer(1, "w", Buffer.Memory.WEIGHTS, Dim.of(16));
    private final Buffer h = new Buffer(2, "h", Buffer.Memory.ARENA, Dim.batch(4));
    private final Buffer r = new Buffer(3, "r", Buffer.Memory.ARENA, Dim.batch(4));
    private final Buffer s = new Buffer(4, "s", Buffer.Memory.ARENA, Dim.batch(1));
    private final Buffer y = new Buffer(5, "y", Buffer.Memory.ARENA, Dim.batch(4));
    private final Buffer unused = new Buffer(6, "unused", Buffer.Memory.ARENA, Dim.of(3));

    private static LoopExpr load(Buffer b, long... strides) {
        return new LoopExpr.Load(new Operand(b, 0), strides);
    }

    private static Kernel.Loop loop(Buffer out, LoopExpr value) {
        return new Kernel.Loop(List.of(out.label()), ROWS_BY_4, new Operand(out, 0), ROW_MAJOR, value);
    }

    /**
     * k0: h = x · w (gemm); k1: r = relu(h); k2: s = Σ_j r[i, j]; k3: y = r · s (broadcast s);
     * k4: w = w − 0.1 (a training update into weights memory). x is the input, y the output.
     */
    private KernelProgram program() {
        List<Kernel> kernels = List.of(
                new Kernel.Call(List.of("h"), new LibraryCall.Gemm(false, false, Dim.batch(1), Dim.of(4), Dim.of(4),
                        new Operand(x, 0), 4, new Operand(w, 0), 4, new Operand(h, 0), 4)),
                loop(r, new LoopExpr.Unary(Op.UnaryKind.RELU, load(h, 4, 1))),
                new Kernel.Loop(List.of("s"), List.of(Dim.batch(1)), new Operand(s, 0), new long[] {1},
                        new LoopExpr.Reduce(Op.ReduceKind.SUM, Dim.of(4), load(r, 4, 1))),
                loop(y, new LoopExpr.Binary(Op.BinaryKind.MUL, load(r, 4, 1), load(s, 1, 0))),
                new Kernel.Loop(List.of("update w"), List.of(Dim.of(16)), new Operand(w, 0), new long[] {1},
                        new LoopExpr.Binary(Op.BinaryKind.SUB, load(w, 1), new LoopExpr.Const(0.1f))));
        return new KernelProgram("hand", MAX_BATCH, List.of(x, w, h, r, s, y, unused), kernels,
                Map.of("x", new Operand(x, 0)), Map.of("y", new Operand(y, 0)), Map.of("w", w));
    }

    @Test
    void lifetimesSpanFirstToLastReference() {
        Liveness.Lifetimes l = Liveness.of(program());
        assertEquals(new Liveness.Lifetime(x, 4 * 8, 0, 0), l.of(x));
        assertEquals(new Liveness.Lifetime(h, 4 * 8, 0, 1), l.of(h));
        assertEquals(new Liveness.Lifetime(r, 4 * 8, 1, 3), l.of(r));
        assertEquals(new Liveness.Lifetime(s, 4 * 2, 2, 3), l.of(s));
    }

    @Test
    void outputsLiveToTheLastStepAndInputsFromTheFirst() {
        KernelProgram p = program();
        Liveness.Lifetimes l = Liveness.of(p);
        assertEquals(new Liveness.Lifetime(y, 4 * 8, 3, 4), l.of(y), "the session reads y after the last kernel");
        assertEquals(0, l.of(x).first(), "the session writes x before the first kernel");
    }

    @Test
    void weightsAreNotPlannedEvenWhenAStepStoresIntoThem() {
        Liveness.Lifetimes l = Liveness.of(program());
        assertEquals(List.of(0, 2, 3, 4, 5, 6), l.buffers().stream().map(t -> t.buffer().id()).toList());
        assertThrows(IllegalArgumentException.class, () -> l.of(w));
    }

    @Test
    void anUnreferencedBufferGetsStepZero() {
        assertEquals(new Liveness.Lifetime(unused, 12, 0, 0), Liveness.of(program()).of(unused));
    }

    @Test
    void elementwiseLoopsOverDyingInputsAreInPlaceCandidates() {
        // relu over h (h dies at k1, same size, same index); y over r (r dies at k3). The reduction reads r at k2 but r
        // lives on, and s is broadcast, not read element for element.
        assertEquals(List.of(new InPlace(r.id(), h.id()), new InPlace(y.id(), r.id())), Liveness.of(program()).inPlace());
    }

    @Test
    void noCandidateWhenTheInputIsReadAtAnotherIndexOrIsAGraphInput() {
        Buffer t = new Buffer(7, "t", Buffer.Memory.ARENA, Dim.batch(4));
        Buffer u = new Buffer(8, "u", Buffer.Memory.ARENA, Dim.batch(4));
        List<Kernel> kernels = List.of(
                loop(t, new LoopExpr.Unary(Op.UnaryKind.NEG, load(x, 4, 1))),
                // u[i, j] = t[i, j] + t[i, 0]: the second load reads other elements of t after they may be overwritten
                loop(u, new LoopExpr.Binary(Op.BinaryKind.ADD, load(t, 4, 1), load(t, 4, 0))));
        KernelProgram p = new KernelProgram("views", MAX_BATCH, List.of(x, t, u), kernels,
                Map.of("x", new Operand(x, 0)), Map.of("u", new Operand(u, 0)), Map.of());
        assertEquals(List.of(), Liveness.of(p).inPlace());
    }

    @Test
    void scratchLivesOnlyAtItsKernel() {
        Buffer image = new Buffer(0, "input image", Buffer.Memory.ARENA, Dim.batch(16));
        Buffer kernel = new Buffer(1, "k", Buffer.Memory.WEIGHTS, Dim.of(9));
        Buffer conv = new Buffer(2, "conv", Buffer.Memory.ARENA, Dim.batch(4));
        Buffer scratch = new Buffer(3, "conv scratch", Buffer.Memory.ARENA, Dim.of(36));
        Buffer out = new Buffer(4, "out", Buffer.Memory.ARENA, Dim.batch(4));
        List<Kernel> kernels = List.of(
                new Kernel.Call(List.of("conv"), new LibraryCall.Conv2d(new Window(Dim.batch(1), 1, 4, 4, 3, 3, 1, 1, 0, 0), 1,
                        new Operand(image, 0), new Operand(kernel, 0), new Operand(conv, 0), new Operand(scratch, 0))),
                loop(out, new LoopExpr.Unary(Op.UnaryKind.RELU, load(conv, 4, 1))));
        KernelProgram p = new KernelProgram("conv", MAX_BATCH, List.of(image, kernel, conv, scratch, out), kernels,
                Map.of("image", new Operand(image, 0)), Map.of("out", new Operand(out, 0)), Map.of("k", kernel));
        Liveness.Lifetimes l = Liveness.of(p);
        assertEquals(new Liveness.Lifetime(scratch, 4 * 36, 0, 0), l.of(scratch));
        assertEquals(List.of(new InPlace(out.id(), conv.id())), l.inPlace());
    }
}

package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.Value;
import dev.nnc.kernels.Recurrent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lowers a Graph IR to a kernel program with one kernel per primitive op (the unfused {@code -O0} form):
 * elementwise ops and reductions become loop kernels, matmul/conv/pool become library calls, reshapes
 * become aliases of their input's buffer, and scalar constants are folded into the loops that read them.
 */
public final class Lowering {
    private final Graph graph;
    private final List<Buffer> buffers = new ArrayList<>();
    private final List<Kernel> kernels = new ArrayList<>();
    private final Map<Value, Operand> placed = new HashMap<>();
    private final Map<Value, LoopExpr> inlined = new HashMap<>();

    private Lowering(Graph graph) {
        this.graph = graph;
    }

    public static KernelProgram lower(Graph graph) {
        return new Lowering(graph).run();
    }

    private KernelProgram run() {
        Map<String, Operand> inputs = new LinkedHashMap<>();
        for (Value v : graph.inputs()) {
            Operand o = new Operand(buffer("input " + v.name(), Buffer.Memory.ARENA, size(v.shape())), 0);
            placed.put(v, o);
            inputs.put(v.name(), o);
        }
        Map<String, Buffer> params = new LinkedHashMap<>();
        for (Param p : graph.params()) {
            Buffer b = buffer(p.name(), Buffer.Memory.WEIGHTS, size(p.value().shape()));
            placed.put(p.value(), new Operand(b, 0));
            params.put(p.name(), b);
        }
        Set<Value> materialize = constantsNeedingBuffers();
        for (Node n : graph.nodes()) lower(n, materialize);
        Map<String, Operand> outputs = new LinkedHashMap<>();
        graph.outputs().forEach((name, v) -> outputs.put(name, placed.get(v)));
        // A step ends by storing each updated parameter; every read of the old values has happened by then.
        graph.updates().forEach((param, next) -> kernels.add(new Kernel.Loop(List.of("update " + param), param.shape().dims(),
                placed.get(param), param.shape().strides(1), read(next, param.shape()))));
        return new KernelProgram(graph.name(), graph.maxBatch(), buffers, kernels, inputs, outputs, params);
    }

    /** Scalars read by something other than a loop kernel (or returned) need a buffer of their own. */
    private Set<Value> constantsNeedingBuffers() {
        Set<Value> needed = new HashSet<>(graph.outputs().values());
        for (Node n : graph.nodes()) {
            if (!(n.op() instanceof Op.Unary || n.op() instanceof Op.Binary || n.op() instanceof Op.Reduce || n.op() instanceof Op.Broadcast)) {
                needed.addAll(n.op().operands());
            }
        }
        return needed;
    }

    /** A scalar known without reading memory: inlined into the loops that read it, stored only if something else needs it. */
    private void inline(Value out, LoopExpr value, Set<Value> materialize) {
        inlined.put(out, value);
        if (materialize.contains(out)) {
            Operand o = arenaFor(out);
            kernels.add(new Kernel.Loop(List.of(out.toString()), List.of(), o, new long[0], value));
            placed.put(out, o);
        }
    }

    private void lower(Node n, Set<Value> materialize) {
        Value out = n.out();
        List<String> computes = List.of(out.toString());
        switch (n.op()) {
            case Op.Constant c -> inline(out, new LoopExpr.Const(c.value()), materialize);
            case Op.SizeOf s -> inline(out, new LoopExpr.DimValue(s.dim()), materialize);
            case Op.Broadcast b -> elementwise(out, read(b.x(), out.shape()));
            case Op.OneHot o -> {
                Operand y = arenaFor(out);
                call(computes, new LibraryCall.OneHot(size(o.labels().shape()), o.classes(), placed.get(o.labels()), y));
                placed.put(out, y);
            }
            case Op.RandomUniform r -> {
                Operand y = arenaFor(out);
                call(computes, new LibraryCall.Uniform(size(out.shape()), placed.get(r.seed()), r.stream(), y));
                placed.put(out, y);
            }
            case Op.Conv2dInputGrad c -> {
                Shape w = c.weight().shape();
                Window window = window(c.inputShape(), (int) w.size(2), (int) w.size(3), c.strideH(), c.strideW(), c.padH(), c.padW());
                Operand scratch = scratch(out, window.convScratchFloats());
                Operand dx = arenaFor(out);
                call(computes, new LibraryCall.Conv2dInputGrad(window, (int) w.size(0), placed.get(c.dy()), placed.get(c.weight()), dx, scratch));
                placed.put(out, dx);
            }
            case Op.Conv2dWeightGrad c -> {
                Shape w = c.weightShape();
                Window window = window(c.x().shape(), (int) w.size(2), (int) w.size(3), c.strideH(), c.strideW(), c.padH(), c.padW());
                Operand scratch = scratch(out, window.convScratchFloats());
                Operand dw = arenaFor(out);
                call(computes, new LibraryCall.Conv2dWeightGrad(window, (int) w.size(0), placed.get(c.x()), placed.get(c.dy()), dw, scratch));
                placed.put(out, dw);
            }
            case Op.Pool2dGrad p -> {
                Window window = window(p.x().shape(), p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW());
                Operand dx = arenaFor(out);
                call(computes, new LibraryCall.Pool2dGrad(p.kind(), window, placed.get(p.x()), placed.get(p.dy()), dx));
                placed.put(out, dx);
            }
            case Op.Reshape r -> placed.put(out, placed.get(r.x()));
            case Op.Detach d -> placed.put(out, placed.get(d.x()));
            case Op.Unary u -> elementwise(out, new LoopExpr.Unary(u.kind(), read(u.x(), out.shape())));
            case Op.Binary b -> elementwise(out, new LoopExpr.Binary(b.kind(), read(b.a(), out.shape()), read(b.b(), out.shape())));
            case Op.Reduce r -> {
                Shape xs = r.x().shape();
                long[] strides = broadcastStrides(xs, out.shape());
                long[] withReduced = java.util.Arrays.copyOf(strides, strides.length + 1);
                withReduced[r.axis()] = 0;
                withReduced[strides.length] = xs.strides(1)[r.axis()];
                LoopExpr body = new LoopExpr.Reduce(r.kind(), xs.dim(r.axis()), new LoopExpr.Load(placed.get(r.x()), withReduced));
                elementwise(out, body);
            }
            case Op.MatMul m -> {
                Shape a = m.a().shape();
                Shape b = m.b().shape();
                int r = a.rank();
                Dim rows = m.transA() ? a.dim(r - 1) : a.dim(r - 2);
                Dim inner = m.transA() ? a.dim(r - 2) : a.dim(r - 1);
                Dim cols = m.transB() ? b.dim(r - 2) : b.dim(r - 1);
                Dim batch = Dim.of(1);
                for (Dim d : a.dims().subList(0, r - 2)) batch = batch.batch() ? batch.times(d.factor()) : d.times(batch.factor());
                Operand c = arenaFor(out);
                long matrixA = a.dim(r - 2).factor() * a.dim(r - 1).factor();
                long matrixB = b.dim(r - 2).factor() * b.dim(r - 1).factor();
                call(computes, new LibraryCall.Gemm(m.transA(), m.transB(), batch, rows, cols, inner,
                        placed.get(m.a()), (int) a.dim(r - 1).factor(), matrixA, placed.get(m.b()), (int) b.dim(r - 1).factor(), matrixB,
                        c, (int) cols.factor(), rows.factor() * cols.factor(), false, null));
                placed.put(out, c);
            }
            case Op.CausalMask mask -> {
                Operand o = arenaFor(out);
                call(computes, new LibraryCall.CausalMask(mask.n(), o));
                placed.put(out, o);
            }
            case Op.Recurrent r -> {
                Shape x = r.x().shape();
                int t = (int) x.size(1), f = (int) x.size(2), h = (int) r.wHh().shape().size(1);
                Operand result = arenaFor(out);
                Operand other = r.kind() == Op.RecurrentKind.LSTM ? scratchLike(out) : null;    // the states this op does not return
                call(computes, new LibraryCall.RecurrentForward(r.kind(), x.dim(0), t, f, h, placed.get(r.x()), placed.get(r.wIh()),
                        placed.get(r.wHh()), placed.get(r.bIh()), placed.get(r.bHh()), r.cells() ? other : result, r.cells() ? result : other));
                placed.put(out, result);
            }
            case Op.RecurrentGrad g -> {
                Shape x = g.x().shape();
                int t = (int) x.size(1), f = (int) x.size(2), h = (int) g.wHh().shape().size(1);
                long scratchPerBatch = g.kind() == Op.RecurrentKind.LSTM ? Recurrent.lstmScratchFloats(1, t, f, h) : Recurrent.rnnScratchFloats(1, t, f, h);
                Operand scratch = new Operand(buffer(out.name() + " scratch", Buffer.Memory.ARENA, new Dim(scratchPerBatch, true)), 0);
                Operand result = arenaFor(out);
                // the kernel writes both gradients; the one this op does not return goes to scratch
                Operand dx = g.weights() ? scratchLike(g.x()) : result;
                Operand dW = g.weights() ? result : scratch(out, packedSize(g));
                call(computes, new LibraryCall.RecurrentBackward(g.kind(), x.dim(0), t, f, h, placed.get(g.x()), placed.get(g.wIh()),
                        placed.get(g.wHh()), placed.get(g.bIh()), placed.get(g.bHh()), placed.get(g.y()),
                        g.cells() == null ? null : placed.get(g.cells()), placed.get(g.dy()), dx, dW, scratch));
                placed.put(out, result);
            }
            case Op.Transpose t -> {
                long[] xStrides = t.x().shape().strides(1);
                long[] strides = new long[t.perm().size()];
                for (int d = 0; d < strides.length; d++) strides[d] = xStrides[t.perm().get(d)];
                elementwise(out, new LoopExpr.Load(placed.get(t.x()), strides));
            }
            case Op.Slice sl -> {
                Operand x = placed.get(sl.x());
                long[] xStrides = sl.x().shape().strides(1);
                elementwise(out, new LoopExpr.Load(new Operand(x.buffer(), x.offset() + sl.start() * xStrides[sl.axis()]), xStrides));
            }
            case Op.Concat cat -> {
                Operand o = arenaFor(out);
                long[] outStrides = out.shape().strides(1);
                long offset = 0;
                for (Value x : cat.xs()) {
                    kernels.add(new Kernel.Loop(computes, x.shape().dims(), new Operand(o.buffer(), o.offset() + offset * outStrides[cat.axis()]),
                            outStrides, read(x, x.shape())));
                    offset += x.shape().size(cat.axis());
                }
                placed.put(out, o);
            }
            case Op.Conv2d c -> {
                Shape w = c.weight().shape();
                Window window = window(c.x().shape(), (int) w.size(2), (int) w.size(3), c.strideH(), c.strideW(), c.padH(), c.padW());
                Operand scratch = scratch(out, window.convScratchFloats());
                Operand y = arenaFor(out);
                call(computes, new LibraryCall.Conv2d(window, (int) w.size(0), placed.get(c.x()), placed.get(c.weight()), y, scratch));
                placed.put(out, y);
            }
            case Op.Pool2d p -> {
                Window window = window(p.x().shape(), p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW());
                Operand y = arenaFor(out);
                call(computes, new LibraryCall.Pool2d(p.kind(), window, placed.get(p.x()), y));
                placed.put(out, y);
            }
        }
    }

    private void call(List<String> computes, LibraryCall call) {
        kernels.add(new Kernel.Call(computes, call));
    }

    /** The window geometry of a sliding-window op over the NCHW images {@code x}. */
    private static Window window(Shape x, int kh, int kw, int strideH, int strideW, int padH, int padW) {
        return new Window(x.dim(0), (int) x.size(1), (int) x.size(2), (int) x.size(3), kh, kw, strideH, strideW, padH, padW);
    }

    private void elementwise(Value out, LoopExpr value) {
        Operand o = arenaFor(out);
        kernels.add(new Kernel.Loop(List.of(out.toString()), out.shape().dims(), o, out.shape().strides(1), value));
        placed.put(out, o);
    }

    /** A load of {@code v} broadcast to {@code loop}, or the inlined scalar itself. */
    private LoopExpr read(Value v, Shape loop) {
        LoopExpr known = inlined.get(v);
        if (known != null) return known;
        return new LoopExpr.Load(placed.get(v), broadcastStrides(v.shape(), loop));
    }

    /** A scratch buffer the size of {@code like}, for outputs a library call writes but nobody reads. */
    private Operand scratchLike(Value like) {
        return new Operand(buffer(like.name() + " unused", Buffer.Memory.ARENA, size(like.shape())), 0);
    }

    private static long packedSize(Op.RecurrentGrad g) {
        long gh = g.wIh().shape().size(0);
        return gh * g.wIh().shape().size(1) + gh * g.wHh().shape().size(1) + 2 * gh;
    }

    private Operand scratch(Value forValue, long floats) {
        return new Operand(buffer(forValue.name() + " scratch", Buffer.Memory.ARENA, Dim.of(floats)), 0);
    }

    /** Strides of {@code s} (row-major) right-aligned to the loop dims, 0 where {@code s} is broadcast. */
    static long[] broadcastStrides(Shape s, Shape loop) {
        long[] own = s.strides(1);
        long[] strides = new long[loop.rank()];
        int shift = loop.rank() - s.rank();
        for (int i = 0; i < loop.rank(); i++) {
            int j = i - shift;
            strides[i] = j < 0 || (s.dim(j).isOne() && !loop.dim(i).isOne()) ? 0 : own[j];
        }
        return strides;
    }

    private Operand arenaFor(Value v) {
        return new Operand(buffer(v.name(), Buffer.Memory.ARENA, size(v.shape())), 0);
    }

    private Buffer buffer(String label, Buffer.Memory memory, Dim size) {
        Buffer b = new Buffer(buffers.size(), label, memory, size);
        buffers.add(b);
        return b;
    }

    private static Dim size(Shape s) {
        return new Dim(s.perBatch(), s.hasBatch());
    }
}

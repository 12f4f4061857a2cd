package dev.nnc.compiler.ir;

import dev.nnc.runtime.DType;
import java.util.ArrayList;
import java.util.List;

/** Computes the result type of an op from its operands' types, or says precisely why they do not fit. */
public final class TypeInference {

    private TypeInference() {}

    /** The type of {@code op}'s result; throws {@link TypeError} if its operands are ill-typed. */
    public static TensorType infer(Op op) {
        return switch (op) {
            case Op.Unary u -> requireF32(u.mnemonic(), u.x().type());
            case Op.Binary b -> TensorType.f32(broadcast(b.mnemonic(), requireF32(b.mnemonic(), b.a().type()).shape(),
                    requireF32(b.mnemonic(), b.b().type()).shape()));
            case Op.MatMul m -> matmul(m);
            case Op.Conv2d c -> conv2d(c);
            case Op.Pool2d p -> pool2d(p);
            case Op.Reduce r -> {
                Shape s = requireF32(r.mnemonic(), r.x().type()).shape();
                if (r.axis() >= s.rank()) throw new TypeError(r.mnemonic() + " axis " + r.axis() + " is out of range for " + s);
                yield TensorType.f32(s.withDim(r.axis(), Dim.of(1)));
            }
            case Op.Reshape r -> reshape(r);
            case Op.Detach d -> d.x().type();
            case Op.Constant c -> TensorType.f32(Shape.scalar());
            case Op.Broadcast b -> {
                Shape from = requireF32("broadcast", b.x().type()).shape();
                Shape result = broadcast("broadcast", from, b.shape());
                if (!result.equals(b.shape())) throw new TypeError("broadcast cannot expand " + from + " to " + b.shape());
                yield TensorType.f32(result);
            }
            case Op.SizeOf s -> TensorType.f32(Shape.scalar());
            case Op.OneHot o -> {
                if (o.labels().type().dtype() != DType.I32) throw new TypeError("one_hot expects i32 labels, got " + o.labels().type());
                List<Dim> dims = new ArrayList<>(o.labels().shape().dims());
                dims.add(Dim.of(o.classes()));
                yield TensorType.f32(new Shape(dims));
            }
            case Op.RandomUniform r -> {
                TensorType seed = r.seed().type();
                if (seed.dtype() != DType.I32 || seed.rank() != 0) throw new TypeError("random_uniform expects an i32 scalar seed, got " + seed);
                yield TensorType.f32(r.shape());
            }
            case Op.Conv2dInputGrad g -> {
                TensorType forward = conv2d(new Op.Conv2d(new Value("x", TensorType.f32(g.inputShape())), g.weight(),
                        g.strideH(), g.strideW(), g.padH(), g.padW()));
                requireSame("conv2d_input_grad", forward, g.dy().type());
                yield TensorType.f32(g.inputShape());
            }
            case Op.Conv2dWeightGrad g -> {
                TensorType forward = conv2d(new Op.Conv2d(g.x(), new Value("w", TensorType.f32(g.weightShape())),
                        g.strideH(), g.strideW(), g.padH(), g.padW()));
                requireSame("conv2d_weight_grad", forward, g.dy().type());
                yield TensorType.f32(g.weightShape());
            }
            case Op.Transpose t -> transpose(t);
            case Op.Slice sl -> {
                Shape x = sl.x().shape();
                if (sl.axis() >= x.rank() || x.dim(sl.axis()).batch()) throw new TypeError("slice axis " + sl.axis() + " is not a static dimension of " + x);
                if (sl.end() > x.size(sl.axis())) throw new TypeError("slice " + sl.start() + ".." + sl.end() + " is outside dimension " + sl.axis() + " of " + x);
                yield new TensorType(sl.x().type().dtype(), x.withDim(sl.axis(), Dim.of(sl.end() - sl.start())));
            }
            case Op.Concat c -> concat(c);
            case Op.CausalMask m -> TensorType.f32(Shape.of(m.n(), m.n()));
            case Op.Recurrent r -> TensorType.f32(recurrent(r.kind(), r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh()));
            case Op.RecurrentGrad g -> {
                Shape y = recurrent(g.kind(), g.x(), g.wIh(), g.wHh(), g.bIh(), g.bHh());
                if (!g.y().shape().equals(y) || !g.dy().shape().equals(y) || (g.cells() != null && !g.cells().shape().equals(y))) {
                    throw new TypeError(g.mnemonic() + " expects states and their gradient of shape " + y);
                }
                long gh = g.wIh().shape().size(0);
                long packed = gh * g.wIh().shape().size(1) + gh * g.wHh().shape().size(1) + 2 * gh;
                yield g.weights() ? TensorType.f32(Shape.of(packed)) : g.x().type();
            }
            case Op.Pool2dGrad g -> {
                TensorType forward = pool2d(new Op.Pool2d(g.kind(), g.x(), g.kernelH(), g.kernelW(), g.strideH(), g.strideW(), g.padH(), g.padW()));
                requireSame(g.mnemonic(), forward, g.dy().type());
                yield g.x().type();
            }
        };
    }

    /** NumPy broadcasting of two shapes, aligned on the right. */
    public static Shape broadcast(String what, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        List<Dim> dims = new ArrayList<>(rank);
        for (int i = 0; i < rank; i++) {
            int ia = i - (rank - a.rank());
            int ib = i - (rank - b.rank());
            Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
            Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
            if (da.equals(db) || db.isOne()) {
                dims.add(da);
            } else if (da.isOne()) {
                dims.add(db);
            } else {
                throw new TypeError(what + " cannot broadcast " + a + " with " + b + " (dimension " + da + " vs " + db + ")");
            }
        }
        for (int i = 1; i < rank; i++) {
            if (dims.get(i).batch()) {
                throw new TypeError(what + " of " + a + " and " + b + " would move the batch dimension B away from the front");
            }
        }
        return new Shape(dims);
    }

    private static void requireSame(String what, TensorType expected, TensorType actual) {
        if (!expected.equals(actual)) throw new TypeError(what + " expects an output gradient of type " + expected + ", got " + actual);
    }

    private static TensorType requireF32(String what, TensorType t) {
        if (t.dtype() != DType.F32) throw new TypeError(what + " expects f32 operands, got " + t);
        return t;
    }

    private static TensorType matmul(Op.MatMul m) {
        Shape a = requireF32("matmul", m.a().type()).shape();
        Shape b = requireF32("matmul", m.b().type()).shape();
        int rank = a.rank();
        if (rank < 2 || b.rank() != rank || !a.dims().subList(0, rank - 2).equals(b.dims().subList(0, rank - 2))) {
            throw new TypeError("matmul expects two matrices, or two batches of matrices with the same leading dimensions, got "
                    + m.a().type() + " and " + m.b().type());
        }
        Dim rows = m.transA() ? a.dim(rank - 1) : a.dim(rank - 2);
        Dim inner = m.transA() ? a.dim(rank - 2) : a.dim(rank - 1);
        Dim innerB = m.transB() ? b.dim(rank - 1) : b.dim(rank - 2);
        Dim cols = m.transB() ? b.dim(rank - 2) : b.dim(rank - 1);
        if (!inner.equals(innerB)) {
            throw new TypeError("matmul inner dimensions differ: " + describe(m.a().type(), m.transA()) + " · "
                    + describe(m.b().type(), m.transB()) + " (" + inner + " vs " + innerB + ")");
        }
        if (cols.batch() || (rank > 2 && (rows.batch() || inner.batch()))) {
            throw new TypeError("matmul would move the batch dimension B away from the front");
        }
        List<Dim> dims = new ArrayList<>(a.dims().subList(0, rank - 2));
        dims.add(rows);
        dims.add(cols);
        return TensorType.f32(new Shape(dims));
    }

    private static String describe(TensorType t, boolean transposed) {
        return transposed ? t + "ᵀ" : t.toString();
    }

    private static TensorType conv2d(Op.Conv2d c) {
        Shape x = requireF32("conv2d", c.x().type()).shape();
        Shape w = requireF32("conv2d", c.weight().type()).shape();
        if (x.rank() != 4) throw new TypeError("conv2d expects an NCHW input of rank 4, got " + c.x().type());
        if (w.rank() != 4 || w.hasBatch()) throw new TypeError("conv2d expects a [K, C, kh, kw] weight, got " + c.weight().type());
        if (x.dim(1).batch() || x.size(1) != w.size(1)) {
            throw new TypeError("conv2d input has " + x.dim(1) + " channels but the weight expects " + w.size(1));
        }
        long oh = outSize("conv2d", x.size(2), w.size(2), c.strideH(), c.padH());
        long ow = outSize("conv2d", x.size(3), w.size(3), c.strideW(), c.padW());
        return TensorType.f32(new Shape(List.of(x.dim(0), Dim.of(w.size(0)), Dim.of(oh), Dim.of(ow))));
    }

    private static TensorType pool2d(Op.Pool2d p) {
        Shape x = requireF32(p.mnemonic(), p.x().type()).shape();
        if (x.rank() != 4) throw new TypeError(p.mnemonic() + " expects an NCHW input of rank 4, got " + p.x().type());
        long oh = outSize(p.mnemonic(), x.size(2), p.kernelH(), p.strideH(), p.padH());
        long ow = outSize(p.mnemonic(), x.size(3), p.kernelW(), p.strideW(), p.padW());
        return TensorType.f32(new Shape(List.of(x.dim(0), x.dim(1), Dim.of(oh), Dim.of(ow))));
    }

    /** Output size of a sliding window: floor((in + 2·pad − kernel) / stride) + 1. */
    public static long outSize(String what, long in, long kernel, int stride, int pad) {
        long span = in + 2L * pad - kernel;
        if (span < 0) {
            throw new TypeError(what + " window " + kernel + " is larger than the padded input " + (in + 2L * pad));
        }
        return span / stride + 1;
    }

    /** The hidden states [B, T, H] of a recurrent layer, checking PyTorch's weight shapes. */
    private static Shape recurrent(Op.RecurrentKind kind, Value x, Value wIh, Value wHh, Value bIh, Value bHh) {
        String what = kind.mnemonic();
        Shape xs = requireF32(what, x.type()).shape();
        if (xs.rank() != 3 || xs.dim(1).batch() || xs.dim(2).batch()) throw new TypeError(what + " expects a sequence [B, T, F], got " + x.type());
        Shape wh = wHh.shape();
        if (wh.rank() != 2) throw new TypeError(what + " expects weight_hh [gates·H, H], got " + wHh.type());
        long h = wh.size(1);
        long gh = kind.gates() * h;
        if (!wIh.shape().equals(Shape.of(gh, xs.size(2))) || !wh.equals(Shape.of(gh, h)) || !bIh.shape().equals(Shape.of(gh)) || !bHh.shape().equals(Shape.of(gh))) {
            throw new TypeError(what + " with input size " + xs.size(2) + " and hidden size " + h + " expects weights [" + gh + ", " + xs.size(2)
                    + "], [" + gh + ", " + h + "] and biases [" + gh + "], got " + wIh.type() + ", " + wHh.type() + ", " + bIh.type() + ", " + bHh.type());
        }
        return new Shape(List.of(xs.dim(0), xs.dim(1), Dim.of(h)));
    }

    private static TensorType transpose(Op.Transpose t) {
        Shape x = t.x().shape();
        List<Integer> perm = t.perm();
        boolean permutation = perm.size() == x.rank() && new java.util.HashSet<>(perm).size() == perm.size()
                && perm.stream().allMatch(p -> p >= 0 && p < x.rank());
        if (!permutation) throw new TypeError("transpose needs a permutation of 0.." + (x.rank() - 1) + ", got " + perm);
        if (x.hasBatch() && perm.getFirst() != 0) throw new TypeError("transpose must keep the batch dimension first, got " + perm);
        List<Dim> dims = new ArrayList<>();
        for (int p : perm) dims.add(x.dim(p));
        return new TensorType(t.x().type().dtype(), new Shape(dims));
    }

    private static TensorType concat(Op.Concat c) {
        Shape first = c.xs().getFirst().shape();
        int axis = c.axis();
        if (axis >= first.rank() || first.dim(axis).batch()) throw new TypeError("concat axis " + axis + " is not a static dimension of " + first);
        long total = 0;
        for (Value v : c.xs()) {
            Shape s = v.shape();
            if (s.rank() != first.rank() || v.type().dtype() != c.xs().getFirst().type().dtype()) {
                throw new TypeError("concat of " + c.xs().getFirst().type() + " and " + v.type() + ": ranks or dtypes differ");
            }
            for (int d = 0; d < s.rank(); d++) {
                if (d != axis && !s.dim(d).equals(first.dim(d))) {
                    throw new TypeError("concat of " + first + " and " + s + " along axis " + axis + ": dimension " + d + " differs");
                }
            }
            total += s.size(axis);
        }
        return new TensorType(c.xs().getFirst().type().dtype(), first.withDim(axis, Dim.of(total)));
    }

    private static TensorType reshape(Op.Reshape r) {
        Shape from = r.x().shape();
        Shape to = r.shape();
        boolean sameBatch = from.hasBatch() == to.hasBatch();
        if (!sameBatch || from.perBatch() != to.perBatch()) {
            throw new TypeError("reshape cannot turn " + r.x().type() + " into " + to + " (element counts differ)");
        }
        return new TensorType(r.x().type().dtype(), to);
    }
}

package dev.nnc.compiler.ir;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A primitive tensor operation: the semantics every pass, the interpreter and the backends agree on.
 * Layers (dense, softmax, …) are built from these by the frontend. Each record validates its own attributes;
 * operand shapes are checked by {@link TypeInference}.
 */
public sealed interface Op
        permits Op.Unary, Op.Binary, Op.MatMul, Op.Conv2d, Op.Pool2d, Op.Reduce, Op.Reshape, Op.Constant,
                Op.Broadcast, Op.SizeOf, Op.OneHot, Op.RandomUniform, Op.Conv2dInputGrad, Op.Conv2dWeightGrad, Op.Pool2dGrad,
                Op.Transpose, Op.Slice, Op.Concat, Op.Recurrent, Op.RecurrentGrad, Op.CausalMask, Op.Detach {

    /** The values this op reads, in order. */
    List<Value> operands();

    /** The op's name in the IR text form. */
    String mnemonic();

    /** The same op reading {@code xs} instead of its operands (same count, in order). */
    static Op withOperands(Op op, List<Value> xs) {
        if (xs.size() != op.operands().size()) throw new IllegalArgumentException(op.mnemonic() + " takes " + op.operands().size() + " operands");
        return switch (op) {
            case Unary u -> new Unary(u.kind(), xs.get(0));
            case Binary b -> new Binary(b.kind(), xs.get(0), xs.get(1));
            case MatMul m -> new MatMul(xs.get(0), xs.get(1), m.transA(), m.transB());
            case Conv2d c -> new Conv2d(xs.get(0), xs.get(1), c.strideH(), c.strideW(), c.padH(), c.padW());
            case Pool2d p -> new Pool2d(p.kind(), xs.get(0), p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW());
            case Reduce r -> new Reduce(r.kind(), xs.get(0), r.axis());
            case Reshape r -> new Reshape(xs.get(0), r.shape());
            case Detach d -> new Detach(xs.get(0));
            case Constant c -> c;
            case Broadcast b -> new Broadcast(xs.get(0), b.shape());
            case SizeOf s -> s;
            case OneHot o -> new OneHot(xs.get(0), o.classes());
            case RandomUniform r -> new RandomUniform(xs.get(0), r.shape(), r.stream());
            case Conv2dInputGrad c -> new Conv2dInputGrad(xs.get(0), xs.get(1), c.inputShape(), c.strideH(), c.strideW(), c.padH(), c.padW());
            case Conv2dWeightGrad c -> new Conv2dWeightGrad(xs.get(0), xs.get(1), c.weightShape(), c.strideH(), c.strideW(), c.padH(), c.padW());
            case Pool2dGrad p -> new Pool2dGrad(p.kind(), xs.get(0), xs.get(1), p.kernelH(), p.kernelW(), p.strideH(), p.strideW(), p.padH(), p.padW());
            case Transpose t -> new Transpose(xs.get(0), t.perm());
            case Slice sl -> new Slice(xs.get(0), sl.axis(), sl.start(), sl.end());
            case Concat c -> new Concat(xs, c.axis());
            case CausalMask m -> m;
            case Recurrent r -> new Recurrent(r.kind(), xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4), r.cells());
            case RecurrentGrad g -> new RecurrentGrad(g.kind(), g.weights(), xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4), xs.get(5),
                    g.kind() == RecurrentKind.LSTM ? xs.get(6) : null, xs.getLast());
        };
    }

    /** Elementwise functions of one tensor. */
    enum UnaryKind {
        NEG, RELU, SIGMOID, TANH, GELU, EXP, LOG, SQRT,
        /** 1 where x > 0, else 0: the derivative of relu. */
        STEP,
        ABS,
        /** −1, 0 or 1. */
        SIGN,
        /** d/dx gelu(x) = Φ(x) + x·φ(x). */
        GELU_GRAD,
        /** log(1 + eˣ), a smooth relu. */
        SOFTPLUS;

        public String mnemonic() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Elementwise functions of two tensors, broadcast NumPy-style. */
    enum BinaryKind {
        ADD, SUB, MUL, DIV, MAX, MIN,
        /** 1 where a ≥ b, else 0. */
        GE,
        /** 1 where a < b, else 0. */
        LT;

        public String mnemonic() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Reductions over one axis. */
    enum ReduceKind {
        SUM, MAX;

        public String mnemonic() {
            return "reduce_" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** Pooling windows. */
    enum PoolKind {
        MAX, AVG;

        public String mnemonic() {
            return name().toLowerCase(Locale.ROOT) + "pool2d";
        }
    }

    /** {@code f(x)} elementwise. */
    record Unary(UnaryKind kind, Value x) implements Op {
        public Unary {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(x);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return kind.mnemonic();
        }
    }

    /** {@code f(a, b)} elementwise with broadcasting. */
    record Binary(BinaryKind kind, Value a, Value b) implements Op {
        public Binary {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(a);
            Objects.requireNonNull(b);
        }

        public List<Value> operands() {
            return List.of(a, b);
        }

        public String mnemonic() {
            return kind.mnemonic();
        }
    }

    /**
     * Matrix product {@code op(a) · op(b)} over the last two dimensions, where {@code op} transposes when its flag
     * is set; operands of rank above 2 are batches of matrices with equal leading dimensions.
     */
    record MatMul(Value a, Value b, boolean transA, boolean transB) implements Op {
        public MatMul {
            Objects.requireNonNull(a);
            Objects.requireNonNull(b);
        }

        public List<Value> operands() {
            return List.of(a, b);
        }

        public String mnemonic() {
            return "matmul";
        }
    }

    /** 2-D cross-correlation of an NCHW input with a [K, C, kh, kw] weight (PyTorch's Conv2d, no bias). */
    record Conv2d(Value x, Value weight, int strideH, int strideW, int padH, int padW) implements Op {
        public Conv2d {
            Objects.requireNonNull(x);
            Objects.requireNonNull(weight);
            if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("conv2d stride must be ≥ 1, got " + strideH + "x" + strideW);
            if (padH < 0 || padW < 0) throw new IllegalArgumentException("conv2d padding must be ≥ 0, got " + padH + "x" + padW);
        }

        public List<Value> operands() {
            return List.of(x, weight);
        }

        public String mnemonic() {
            return "conv2d";
        }
    }

    /** 2-D max or average pooling over an NCHW input (average counts padding, as PyTorch's default). */
    record Pool2d(PoolKind kind, Value x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) implements Op {
        public Pool2d {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(x);
            if (kernelH < 1 || kernelW < 1) throw new IllegalArgumentException("pool kernel must be ≥ 1, got " + kernelH + "x" + kernelW);
            if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("pool stride must be ≥ 1, got " + strideH + "x" + strideW);
            if (padH < 0 || padW < 0 || 2 * padH > kernelH || 2 * padW > kernelW) {
                throw new IllegalArgumentException("pool padding must be between 0 and half the kernel, got " + padH + "x" + padW);
            }
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return kind.mnemonic();
        }
    }

    /** Reduction over {@code axis}, keeping it with size 1. */
    record Reduce(ReduceKind kind, Value x, int axis) implements Op {
        public Reduce {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(x);
            if (axis < 0) throw new IllegalArgumentException("reduce axis must be normalized (≥ 0), got " + axis);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return kind.mnemonic();
        }
    }

    /**
     * {@code x} itself, through which no gradient flows (tinygrad's and PyTorch's {@code detach}): the shift that keeps
     * softmax's exponentials in range changes nothing mathematically, so differentiating through it only adds work
     * and rounding. A view: no data moves.
     */
    record Detach(Value x) implements Op {
        public Detach {
            Objects.requireNonNull(x);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return "detach";
        }
    }

    /** The same elements in row-major order under another shape (a view: no data moves). */
    record Reshape(Value x, Shape shape) implements Op {
        public Reshape {
            Objects.requireNonNull(x);
            Objects.requireNonNull(shape);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return "reshape";
        }
    }

    /** A scalar f32 constant (shape {@code []}), broadcast by its consumers. */
    record Constant(float value) implements Op {
        public Constant {
            if (Float.isNaN(value)) throw new IllegalArgumentException("constant is NaN");
        }

        public List<Value> operands() {
            return List.of();
        }

        public String mnemonic() {
            return "const";
        }
    }

    /** {@code x} repeated along the dimensions where it has size 1 (or is missing) to fill {@code shape}. */
    record Broadcast(Value x, Shape shape) implements Op {
        public Broadcast {
            Objects.requireNonNull(x);
            Objects.requireNonNull(shape);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return "broadcast";
        }
    }

    /** The size of a dimension as an f32 scalar: a constant, or {@code factor · B} known only at run time. */
    record SizeOf(Dim dim) implements Op {
        public SizeOf {
            Objects.requireNonNull(dim);
        }

        public List<Value> operands() {
            return List.of();
        }

        public String mnemonic() {
            return "size_of";
        }
    }

    /** f32 one-hot rows {@code [..., classes]} from i32 labels; a label outside [0, classes) gives a zero row. */
    record OneHot(Value labels, int classes) implements Op {
        public OneHot {
            Objects.requireNonNull(labels);
            if (classes < 1) throw new IllegalArgumentException("one_hot needs at least one class, got " + classes);
        }

        public List<Value> operands() {
            return List.of(labels);
        }

        public String mnemonic() {
            return "one_hot";
        }
    }

    /**
     * Uniform [0, 1) numbers of {@code shape}, a pure function of the i32 scalar {@code seed}, the {@code stream}
     * (one per dropout layer) and each element's row-major index: element i is
     * {@code dev.nnc.kernels.Random.uniform(mixedSeed(seed, stream), i)}, so dropout masks repeat exactly.
     */
    record RandomUniform(Value seed, Shape shape, int stream) implements Op {
        public RandomUniform {
            Objects.requireNonNull(seed);
            Objects.requireNonNull(shape);
            if (stream < 0) throw new IllegalArgumentException("negative random stream " + stream);
        }

        /** The generator seed of one stream: {@code seed ^ (stream · 0x9E3779B9)} in 32-bit arithmetic. */
        public static int mixedSeed(int seed, int stream) {
            return seed ^ (stream * 0x9E3779B9);
        }

        public List<Value> operands() {
            return List.of(seed);
        }

        public String mnemonic() {
            return "random_uniform";
        }
    }

    /** The gradient of {@link Conv2d} with respect to its input (also the transposed convolution). */
    record Conv2dInputGrad(Value dy, Value weight, Shape inputShape, int strideH, int strideW, int padH, int padW) implements Op {
        public Conv2dInputGrad {
            Objects.requireNonNull(dy);
            Objects.requireNonNull(weight);
            Objects.requireNonNull(inputShape);
            if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0) throw new IllegalArgumentException("bad conv2d stride or padding");
        }

        public List<Value> operands() {
            return List.of(dy, weight);
        }

        public String mnemonic() {
            return "conv2d_input_grad";
        }
    }

    /** The gradient of {@link Conv2d} with respect to its weight, summed over the batch. */
    record Conv2dWeightGrad(Value x, Value dy, Shape weightShape, int strideH, int strideW, int padH, int padW) implements Op {
        public Conv2dWeightGrad {
            Objects.requireNonNull(x);
            Objects.requireNonNull(dy);
            Objects.requireNonNull(weightShape);
            if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0) throw new IllegalArgumentException("bad conv2d stride or padding");
        }

        public List<Value> operands() {
            return List.of(x, dy);
        }

        public String mnemonic() {
            return "conv2d_weight_grad";
        }
    }

    /** The gradient of {@link Pool2d} with respect to its input {@code x}, given the output gradient {@code dy}. */
    record Pool2dGrad(PoolKind kind, Value x, Value dy, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) implements Op {
        public Pool2dGrad {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(x);
            Objects.requireNonNull(dy);
        }

        public List<Value> operands() {
            return List.of(x, dy);
        }

        public String mnemonic() {
            return kind.mnemonic() + "_grad";
        }
    }

    /** The dimensions of {@code x} reordered: output dimension d is input dimension {@code perm[d]} (the batch stays first). */
    record Transpose(Value x, List<Integer> perm) implements Op {
        public Transpose {
            Objects.requireNonNull(x);
            perm = List.copyOf(perm);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return "transpose";
        }
    }

    /** Elements {@code start ≤ i < end} of {@code x} along {@code axis} (which is not the batch). */
    record Slice(Value x, int axis, long start, long end) implements Op {
        public Slice {
            Objects.requireNonNull(x);
            if (axis < 0 || start < 0 || end <= start) throw new IllegalArgumentException("bad slice " + axis + ":" + start + ".." + end);
        }

        public List<Value> operands() {
            return List.of(x);
        }

        public String mnemonic() {
            return "slice";
        }
    }

    /** The tensors {@code xs} joined along {@code axis} (which is not the batch); other dimensions agree. */
    record Concat(List<Value> xs, int axis) implements Op {
        public Concat {
            xs = List.copyOf(xs);
            if (xs.size() < 2) throw new IllegalArgumentException("concat needs at least two tensors");
            if (axis < 0) throw new IllegalArgumentException("concat axis must be normalized (≥ 0), got " + axis);
        }

        public List<Value> operands() {
            return xs;
        }

        public String mnemonic() {
            return "concat";
        }
    }

    /** The recurrent cells: a tanh RNN, or an LSTM with gates in PyTorch's order i, f, g, o. */
    enum RecurrentKind {
        RNN, LSTM;

        /** How many gate blocks of the hidden size the weights stack. */
        public int gates() {
            return this == RNN ? 1 : 4;
        }

        public String mnemonic() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A recurrent layer over a batch-first sequence x [B, T, F] from a zero state, with PyTorch's weights
     * (w_ih [gH, F], w_hh [gH, H], b_ih, b_hh [gH]): every hidden state [B, T, H], or, with {@code cells}, every
     * LSTM cell state (which only the gradient needs). Time is a loop inside one kernel.
     */
    record Recurrent(RecurrentKind kind, Value x, Value wIh, Value wHh, Value bIh, Value bHh, boolean cells) implements Op {
        public Recurrent {
            Objects.requireNonNull(kind);
            for (Value v : List.of(x, wIh, wHh, bIh, bHh)) Objects.requireNonNull(v);
            if (cells && kind != RecurrentKind.LSTM) throw new IllegalArgumentException("only an LSTM has cell states");
        }

        public List<Value> operands() {
            return List.of(x, wIh, wHh, bIh, bHh);
        }

        public String mnemonic() {
            return kind.mnemonic() + (cells ? "_cells" : "");
        }
    }

    /**
     * Backpropagation through time of a {@link Recurrent} layer, given its hidden states {@code y}, (for an LSTM)
     * its cell states, and the gradient {@code dy} of every hidden state: the gradient of the input x, or, with
     * {@code weights}, of the weights packed as [w_ih | w_hh | b_ih | b_hh] (summed over the batch).
     */
    record RecurrentGrad(RecurrentKind kind, boolean weights, Value x, Value wIh, Value wHh, Value bIh, Value bHh, Value y,
                         Value cells, Value dy) implements Op {
        public RecurrentGrad {
            Objects.requireNonNull(kind);
            for (Value v : List.of(x, wIh, wHh, bIh, bHh, y, dy)) Objects.requireNonNull(v);
            if ((cells != null) != (kind == RecurrentKind.LSTM)) throw new IllegalArgumentException("an LSTM gradient needs the cell states, an RNN's none");
        }

        public List<Value> operands() {
            return cells == null ? List.of(x, wIh, wHh, bIh, bHh, y, dy) : List.of(x, wIh, wHh, bIh, bHh, y, cells, dy);
        }

        public String mnemonic() {
            return kind.mnemonic() + (weights ? "_weight_grad" : "_input_grad");
        }
    }

    /** The causal attention mask f32[n, n]: 0 on and below the diagonal, −∞ above it. */
    record CausalMask(int n) implements Op {
        public CausalMask {
            if (n < 1) throw new IllegalArgumentException("mask size must be ≥ 1, got " + n);
        }

        public List<Value> operands() {
            return List.of();
        }

        public String mnemonic() {
            return "causal_mask";
        }
    }
}

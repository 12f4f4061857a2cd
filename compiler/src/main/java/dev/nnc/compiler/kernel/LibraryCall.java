package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import dev.nnc.runtime.Manifest.PackedWeight;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The typed table of library calls a kernel program may make: each record is one operation of {@code kernels} (or
 * its counterpart on another backend) with its shapes, strides, flags and operands. Every record states once, in
 * {@link #uses}, which operands it reads, writes and uses as scratch; liveness, fusion and the emitters read that
 * instead of knowing each call. Operand order in {@link #uses} is the order of the call's arguments.
 */
public sealed interface LibraryCall {

    /** Every operand, with what the call does to it, in argument order. */
    List<Use> uses();

    /** This call with every operand passed through {@code rename}. */
    LibraryCall withOperands(UnaryOperator<Operand> rename);

    /** The output an elementwise epilogue may run over in place, with its index space, or null when none may. */
    default EpilogueTarget epilogueTarget() {
        return null;
    }

    /** A call's dense output {@code out} and the index space an epilogue over it ranges: contiguous, row-major. */
    record EpilogueTarget(Operand out, List<Dim> dims) {
        public EpilogueTarget {
            dims = List.copyOf(dims);
        }
    }

    /**
     * {@code batch} products {@code c = op(a) · op(b)} (plus {@code c} when {@code accumulate}), m×n, inner k, the i-th
     * at offsets advanced by i times the strides; leading dimensions and strides count floats. A non-null
     * {@code packedB} says that {@code b} is a constant weight the loader lays out ahead of time, and where
     * ({@link WeightLayout}); the call then reads that copy and never packs {@code b} itself.
     */
    record Gemm(boolean transA, boolean transB, Dim batch, Dim m, Dim n, Dim k, Operand a, int lda, long strideA,
                Operand b, int ldb, long strideB, Operand c, int ldc, long strideC, boolean accumulate, PackedWeight packedB)
            implements LibraryCall {
        public Gemm {
            Objects.requireNonNull(a);
            Objects.requireNonNull(b);
            Objects.requireNonNull(c);
            if (packedB != null && (!batch.isOne() || n.batch() || k.batch() || packedB.transposed() != transB
                    || packedB.k() != k.factor() || packedB.n() != n.factor())) {
                throw new IllegalArgumentException("packed B " + packedB + " does not fit a " + k + "×" + n + " operand");
            }
        }

        /** One product {@code c = op(a) · op(b)}, no batch, operands read as stored. */
        public Gemm(boolean transA, boolean transB, Dim m, Dim n, Dim k, Operand a, int lda, Operand b, int ldb, Operand c, int ldc) {
            this(transA, transB, Dim.of(1), m, n, k, a, lda, 0, b, ldb, 0, c, ldc, 0, false, null);
        }

        public boolean batched() {
            return !batch.isOne();
        }

        /** This product reading B from the prepacked copy {@code packed}. */
        public Gemm withPackedB(PackedWeight packed) {
            return new Gemm(transA, transB, batch, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, accumulate, packed);
        }

        @Override
        public List<Use> uses() {
            List<Use> uses = new ArrayList<>(List.of(Use.read(a), Use.read(b)));
            if (accumulate) uses.add(Use.read(c));
            uses.add(Use.write(c));
            return uses;
        }

        @Override
        public Gemm withOperands(UnaryOperator<Operand> rename) {
            return new Gemm(transA, transB, batch, m, n, k, rename.apply(a), lda, strideA, rename.apply(b), ldb, strideB,
                    rename.apply(c), ldc, strideC, accumulate, packedB);
        }

        /** An unbatched product whose rows are stored densely can take an epilogue over its m×n result. */
        @Override
        public EpilogueTarget epilogueTarget() {
            return batched() || n.batch() || ldc != n.factor() ? null : new EpilogueTarget(c, List.of(m, n));
        }

        @Override
        public String toString() {
            return "gemm " + (batched() ? "batch=" + batch + " " : "") + "m=" + m + " n=" + n + " k=" + k + (transA ? " aᵀ" : "")
                    + (transB ? " bᵀ" : "") + " " + c + (accumulate ? " += " : " = ") + a + " · " + b
                    + (packedB == null ? "" : " (packed at byte " + packedB.byteOffset() + ")");
        }
    }

    /** {@code y = x ⋆ weight}: {@code k} output channels, im2col through {@code scratch}. */
    record Conv2d(Window window, int k, Operand x, Operand weight, Operand y, Operand scratch) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.read(x), Use.read(weight), Use.write(y), Use.scratch(scratch));
        }

        @Override
        public Conv2d withOperands(UnaryOperator<Operand> rename) {
            return new Conv2d(window, k, rename.apply(x), rename.apply(weight), rename.apply(y), rename.apply(scratch));
        }

        @Override
        public EpilogueTarget epilogueTarget() {
            return new EpilogueTarget(y, List.of(window.n(), Dim.of(k), Dim.of(window.outH()), Dim.of(window.outW())));
        }

        @Override
        public String toString() {
            return "conv2d " + window + " k=" + k + " " + y + " = " + x + " ⋆ " + weight + " scratch " + scratch;
        }
    }

    /** The gradient of a convolution with respect to its input (a transposed convolution), through col2im. */
    record Conv2dInputGrad(Window window, int k, Operand dy, Operand weight, Operand dx, Operand scratch) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.read(dy), Use.read(weight), Use.write(dx), Use.scratch(scratch));
        }

        @Override
        public Conv2dInputGrad withOperands(UnaryOperator<Operand> rename) {
            return new Conv2dInputGrad(window, k, rename.apply(dy), rename.apply(weight), rename.apply(dx), rename.apply(scratch));
        }

        @Override
        public String toString() {
            return "conv2d_input_grad " + window + " k=" + k + " " + dx + " = " + dy + " ⋆ᵀ " + weight + " scratch " + scratch;
        }
    }

    /** The gradient of a convolution with respect to its weight, summed over the batch. */
    record Conv2dWeightGrad(Window window, int k, Operand x, Operand dy, Operand dw, Operand scratch) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.read(x), Use.read(dy), Use.write(dw), Use.scratch(scratch));
        }

        @Override
        public Conv2dWeightGrad withOperands(UnaryOperator<Operand> rename) {
            return new Conv2dWeightGrad(window, k, rename.apply(x), rename.apply(dy), rename.apply(dw), rename.apply(scratch));
        }

        @Override
        public String toString() {
            return "conv2d_weight_grad " + window + " k=" + k + " " + dw + " = " + x + " ⋆ " + dy + " scratch " + scratch;
        }
    }

    /** Max or average pooling. */
    record Pool2d(Op.PoolKind kind, Window window, Operand x, Operand y) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.read(x), Use.write(y));
        }

        @Override
        public Pool2d withOperands(UnaryOperator<Operand> rename) {
            return new Pool2d(kind, window, rename.apply(x), rename.apply(y));
        }

        @Override
        public String toString() {
            return kind.mnemonic() + " " + window + " " + y + " = " + x;
        }
    }

    /** The gradient of pooling with respect to its input; average pooling's does not depend on {@code x}. */
    record Pool2dGrad(Op.PoolKind kind, Window window, Operand x, Operand dy, Operand dx) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return switch (kind) {
                case MAX -> List.of(Use.read(x), Use.read(dy), Use.write(dx));
                case AVG -> List.of(Use.read(dy), Use.write(dx));
            };
        }

        @Override
        public Pool2dGrad withOperands(UnaryOperator<Operand> rename) {
            return new Pool2dGrad(kind, window, rename.apply(x), rename.apply(dy), rename.apply(dx));
        }

        @Override
        public String toString() {
            return kind.mnemonic() + "_grad " + window + " " + dx + " = " + x + ", " + dy;
        }
    }

    /** One-hot rows from i32 labels. */
    record OneHot(Dim rows, int classes, Operand labels, Operand out) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.read(labels), Use.write(out));
        }

        @Override
        public OneHot withOperands(UnaryOperator<Operand> rename) {
            return new OneHot(rows, classes, rename.apply(labels), rename.apply(out));
        }

        @Override
        public String toString() {
            return "one_hot rows=" + rows + " classes=" + classes + " " + out + " = " + labels;
        }
    }

    /** Uniform [0, 1) numbers from the i32 seed at {@code seed}, mixed with {@code stream}. */
    record Uniform(Dim count, Operand seed, int stream, Operand out) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.read(seed), Use.write(out));
        }

        @Override
        public Uniform withOperands(UnaryOperator<Operand> rename) {
            return new Uniform(count, rename.apply(seed), stream, rename.apply(out));
        }

        @Override
        public String toString() {
            return "uniform count=" + count + " seed=" + seed + " stream=" + stream + " " + out;
        }
    }

    /** The causal attention mask [n, n]. */
    record CausalMask(int n, Operand out) implements LibraryCall {
        @Override
        public List<Use> uses() {
            return List.of(Use.write(out));
        }

        @Override
        public CausalMask withOperands(UnaryOperator<Operand> rename) {
            return new CausalMask(n, rename.apply(out));
        }

        @Override
        public String toString() {
            return "causal_mask n=" + n + " " + out;
        }
    }

    /**
     * A recurrent layer's forward pass over time, {@code n} sequences of {@code t} steps, {@code f} features in and
     * {@code h} hidden: hidden states into {@code y}, and for an LSTM the cell states into {@code cells} (null for an RNN).
     */
    record RecurrentForward(Op.RecurrentKind kind, Dim n, int t, int f, int h, Operand x, Operand wIh, Operand wHh,
                            Operand bIh, Operand bHh, Operand y, Operand cells) implements LibraryCall {
        public RecurrentForward {
            if ((cells == null) != (kind == Op.RecurrentKind.RNN)) throw new IllegalArgumentException(kind + " cell states: " + cells);
        }

        @Override
        public List<Use> uses() {
            List<Use> uses = new ArrayList<>(List.of(Use.read(x), Use.read(wIh), Use.read(wHh), Use.read(bIh), Use.read(bHh), Use.write(y)));
            if (cells != null) uses.add(Use.write(cells));
            return uses;
        }

        @Override
        public RecurrentForward withOperands(UnaryOperator<Operand> rename) {
            return new RecurrentForward(kind, n, t, f, h, rename.apply(x), rename.apply(wIh), rename.apply(wHh), rename.apply(bIh),
                    rename.apply(bHh), rename.apply(y), cells == null ? null : rename.apply(cells));
        }

        @Override
        public String toString() {
            return kind.mnemonic() + " n=" + n + " t=" + t + " f=" + f + " h=" + h + " " + y + (cells == null ? "" : ", " + cells) + " = " + x;
        }
    }

    /**
     * Backpropagation through time: the input gradient into {@code dx}, the packed weight gradient into {@code dW}.
     * An RNN's backward pass needs neither its biases nor cell states ({@code cells} is null for it).
     */
    record RecurrentBackward(Op.RecurrentKind kind, Dim n, int t, int f, int h, Operand x, Operand wIh, Operand wHh,
                             Operand bIh, Operand bHh, Operand y, Operand cells, Operand dy, Operand dx, Operand dW,
                             Operand scratch) implements LibraryCall {
        public RecurrentBackward {
            if ((cells == null) != (kind == Op.RecurrentKind.RNN)) throw new IllegalArgumentException(kind + " cell states: " + cells);
        }

        @Override
        public List<Use> uses() {
            return switch (kind) {
                case RNN -> List.of(Use.read(x), Use.read(wIh), Use.read(wHh), Use.read(y), Use.read(dy), Use.write(dx), Use.write(dW),
                        Use.scratch(scratch));
                case LSTM -> List.of(Use.read(x), Use.read(wIh), Use.read(wHh), Use.read(bIh), Use.read(bHh), Use.read(y), Use.read(cells),
                        Use.read(dy), Use.write(dx), Use.write(dW), Use.scratch(scratch));
            };
        }

        @Override
        public RecurrentBackward withOperands(UnaryOperator<Operand> rename) {
            return new RecurrentBackward(kind, n, t, f, h, rename.apply(x), rename.apply(wIh), rename.apply(wHh), rename.apply(bIh),
                    rename.apply(bHh), rename.apply(y), cells == null ? null : rename.apply(cells), rename.apply(dy), rename.apply(dx),
                    rename.apply(dW), rename.apply(scratch));
        }

        @Override
        public String toString() {
            return kind.mnemonic() + "_backward n=" + n + " t=" + t + " f=" + f + " h=" + h + " " + dx + ", " + dW + " = " + dy + " scratch " + scratch;
        }
    }
}

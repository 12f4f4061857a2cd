package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import dev.nnc.runtime.Manifest.PackedWeight;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One step of a kernel program: a generated loop nest, or a call into the {@code kernels} library.
 * Every kernel names the graph ops it computes, for {@code --emit kernels} and for tests.
 */
public sealed interface Kernel {

    /** The IR values this kernel computes, for people reading the program. */
    List<String> computes();

    /**
     * For every point of the index space {@code dims}, stores {@code value} at
     * {@code out[offset + Σ index_d · outStrides_d]}.
     */
    record Loop(List<String> computes, List<Dim> dims, Operand out, long[] outStrides, LoopExpr value) implements Kernel {
        public Loop {
            computes = List.copyOf(computes);
            dims = List.copyOf(dims);
            outStrides = outStrides.clone();
            if (outStrides.length != dims.size()) throw new IllegalArgumentException("one output stride per loop dimension");
            for (int i = 1; i < dims.size(); i++) {
                if (dims.get(i).batch()) throw new IllegalArgumentException("only the outermost loop may range over the batch");
            }
        }

        @Override
        public long[] outStrides() {
            return outStrides.clone();
        }

        @Override
        public String toString() {
            return "loop " + dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]")) + " "
                    + out + Arrays.toString(outStrides) + " = " + value;
        }
    }

    /**
     * {@code batch} products {@code c = op(a) · op(b)}, m×n, inner k, the i-th at offsets advanced by i times the
     * strides; leading dimensions and strides count floats. A non-null {@code epilogue} is an elementwise loop run
     * right after, in place over {@code c} (bias, activation: fused consumers). A non-null {@code packedB} says that
     * {@code b} is a constant weight the loader lays out ahead of time, and where ({@link WeightLayout}); the kernel
     * then reads that copy and never packs {@code b} itself.
     */
    record Gemm(List<String> computes, boolean transA, boolean transB, Dim batch, Dim m, Dim n, Dim k,
                Operand a, int lda, long strideA, Operand b, int ldb, long strideB, Operand c, int ldc, long strideC,
                Loop epilogue, PackedWeight packedB) implements Kernel {
        public Gemm {
            computes = List.copyOf(computes);
            if (packedB != null && (!batch.isOne() || n.batch() || k.batch() || packedB.transposed() != transB
                    || packedB.k() != k.factor() || packedB.n() != n.factor())) {
                throw new IllegalArgumentException("packed B " + packedB + " does not fit a " + k + "×" + n + " operand");
            }
        }

        /** A product whose operands are all read as stored. */
        public Gemm(List<String> computes, boolean transA, boolean transB, Dim batch, Dim m, Dim n, Dim k,
                    Operand a, int lda, long strideA, Operand b, int ldb, long strideB, Operand c, int ldc, long strideC,
                    Loop epilogue) {
            this(computes, transA, transB, batch, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, epilogue, null);
        }

        /** One product, no batch. */
        public Gemm(List<String> computes, boolean transA, boolean transB, Dim m, Dim n, Dim k,
                    Operand a, int lda, Operand b, int ldb, Operand c, int ldc, Loop epilogue) {
            this(computes, transA, transB, Dim.of(1), m, n, k, a, lda, 0, b, ldb, 0, c, ldc, 0, epilogue, null);
        }

        public boolean batched() {
            return !batch.isOne();
        }

        public Gemm withEpilogue(List<String> computes, Loop epilogue) {
            return new Gemm(computes, transA, transB, batch, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, epilogue, packedB);
        }

        /** This product reading B from the prepacked copy {@code packed}. */
        public Gemm withPackedB(PackedWeight packed) {
            return new Gemm(computes, transA, transB, batch, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, epilogue, packed);
        }

        @Override
        public String toString() {
            return "gemm " + (batched() ? "batch=" + batch + " " : "") + "m=" + m + " n=" + n + " k=" + k + (transA ? " aᵀ" : "")
                    + (transB ? " bᵀ" : "") + " " + c + " = " + a + " · " + b + (packedB == null ? "" : " (packed at byte " + packedB.byteOffset() + ")")
                    + (epilogue == null ? "" : " then " + epilogue);
        }
    }

    /** NCHW convolution through im2col in {@code scratch}, with an optional in-place elementwise {@code epilogue} over {@code y}. */
    record Conv(List<String> computes, Dim n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW,
                int padH, int padW, Operand x, Operand weight, Operand y, Operand scratch, Loop epilogue) implements Kernel {
        public Conv {
            computes = List.copyOf(computes);
        }

        public Conv withEpilogue(List<String> computes, Loop epilogue) {
            return new Conv(computes, n, c, h, w, k, kh, kw, strideH, strideW, padH, padW, x, weight, y, scratch, epilogue);
        }

        @Override
        public String toString() {
            return "conv2d n=" + n + " c=" + c + " " + h + "x" + w + " k=" + k + " " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " " + y + " = " + x + " ⋆ " + weight + " scratch " + scratch
                    + (epilogue == null ? "" : " then " + epilogue);
        }
    }

    /** NCHW max or average pooling. */
    record Pool(List<String> computes, Op.PoolKind kind, Dim n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                int padH, int padW, Operand x, Operand y) implements Kernel {
        public Pool {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return kind.mnemonic() + " n=" + n + " c=" + c + " " + h + "x" + w + " window " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " " + y + " = " + x;
        }
    }

    /** The gradient of a convolution with respect to its input (transposed convolution), through col2im. */
    record ConvInputGrad(List<String> computes, Dim n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW,
                         int padH, int padW, Operand dy, Operand weight, Operand dx, Operand scratch) implements Kernel {
        public ConvInputGrad {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "conv2d_input_grad n=" + n + " c=" + c + " " + h + "x" + w + " k=" + k + " " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " " + dx + " = " + dy + " ⋆ᵀ " + weight + " scratch " + scratch;
        }
    }

    /** The gradient of a convolution with respect to its weight, summed over the batch. */
    record ConvWeightGrad(List<String> computes, Dim n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW,
                          int padH, int padW, Operand x, Operand dy, Operand dw, Operand scratch) implements Kernel {
        public ConvWeightGrad {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "conv2d_weight_grad n=" + n + " c=" + c + " " + h + "x" + w + " k=" + k + " " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " " + dw + " = " + x + " ⋆ " + dy + " scratch " + scratch;
        }
    }

    /** The gradient of pooling with respect to its input. */
    record PoolGrad(List<String> computes, Op.PoolKind kind, Dim n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                    int padH, int padW, Operand x, Operand dy, Operand dx) implements Kernel {
        public PoolGrad {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return kind.mnemonic() + "_grad n=" + n + " c=" + c + " " + h + "x" + w + " window " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " " + dx + " = " + x + ", " + dy;
        }
    }

    /** One-hot rows from i32 labels. */
    record OneHot(List<String> computes, Dim rows, int classes, Operand labels, Operand out) implements Kernel {
        public OneHot {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "one_hot rows=" + rows + " classes=" + classes + " " + out + " = " + labels;
        }
    }

    /** Uniform [0, 1) numbers from the i32 seed at {@code seed}, mixed with {@code stream}. */
    record Uniform(List<String> computes, Dim count, Operand seed, int stream, Operand out) implements Kernel {
        public Uniform {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "uniform count=" + count + " seed=" + seed + " stream=" + stream + " " + out;
        }
    }

    /** A recurrent layer's forward pass over time: hidden states into {@code y}, LSTM cell states into {@code cells}. */
    record RecurrentForward(List<String> computes, Op.RecurrentKind kind, Dim n, int t, int f, int h, Operand x, Operand wIh,
                            Operand wHh, Operand bIh, Operand bHh, Operand y, Operand cells) implements Kernel {
        public RecurrentForward {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return kind.mnemonic() + " n=" + n + " t=" + t + " f=" + f + " h=" + h + " " + y + (cells == null ? "" : ", " + cells) + " = " + x;
        }
    }

    /** Backpropagation through time: the input gradient into {@code dx}, the packed weight gradient into {@code dW}. */
    record RecurrentBackward(List<String> computes, Op.RecurrentKind kind, Dim n, int t, int f, int h, Operand x, Operand wIh,
                             Operand wHh, Operand bIh, Operand bHh, Operand y, Operand cells, Operand dy, Operand dx, Operand dW,
                             Operand scratch) implements Kernel {
        public RecurrentBackward {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return kind.mnemonic() + "_backward n=" + n + " t=" + t + " f=" + f + " h=" + h + " " + dx + ", " + dW + " = " + dy + " scratch " + scratch;
        }
    }

    /** The causal attention mask [n, n]. */
    record CausalMask(List<String> computes, int n, Operand out) implements Kernel {
        public CausalMask {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "causal_mask n=" + n + " " + out;
        }
    }
}

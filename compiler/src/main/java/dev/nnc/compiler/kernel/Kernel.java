package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
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

    /** {@code c = op(a) · op(b)}, m×n, inner k; leading dimensions count floats. */
    record Gemm(List<String> computes, boolean transA, boolean transB, Dim m, Dim n, Dim k,
                Operand a, int lda, Operand b, int ldb, Operand c, int ldc) implements Kernel {
        public Gemm {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "gemm m=" + m + " n=" + n + " k=" + k + (transA ? " aᵀ" : "") + (transB ? " bᵀ" : "") + " " + c + " = " + a + " · " + b;
        }
    }

    /** NCHW convolution through im2col in {@code scratch}. */
    record Conv(List<String> computes, Dim n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW,
                int padH, int padW, Operand x, Operand weight, Operand y, Operand scratch) implements Kernel {
        public Conv {
            computes = List.copyOf(computes);
        }

        @Override
        public String toString() {
            return "conv2d n=" + n + " c=" + c + " " + h + "x" + w + " k=" + k + " " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " " + y + " = " + x + " ⋆ " + weight + " scratch " + scratch;
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
}

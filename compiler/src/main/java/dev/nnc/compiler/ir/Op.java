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
        permits Op.Unary, Op.Binary, Op.MatMul, Op.Conv2d, Op.Pool2d, Op.Reduce, Op.Reshape, Op.Constant {

    /** The values this op reads, in order. */
    List<Value> operands();

    /** The op's name in the IR text form. */
    String mnemonic();

    /** Elementwise functions of one tensor. */
    enum UnaryKind {
        NEG, RELU, SIGMOID, TANH, GELU, EXP, LOG, SQRT;

        public String mnemonic() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Elementwise functions of two tensors, broadcast NumPy-style. */
    enum BinaryKind {
        ADD, SUB, MUL, DIV, MAX, MIN;

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

    /** Rank-2 matrix product {@code op(a) · op(b)}, where {@code op} transposes when its flag is set. */
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
}

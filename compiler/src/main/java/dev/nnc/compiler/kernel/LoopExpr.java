package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import java.util.Arrays;
import java.util.Objects;

/**
 * The expression a loop kernel computes at each point of its index space. Loads address their buffer
 * with one stride per loop dimension (0 where the operand is broadcast), so views and broadcasting are
 * index arithmetic, never copies. Inside a {@link Reduce}, loads carry one more stride, for the reduced index.
 */
public sealed interface LoopExpr {

    /** {@code src[offset + Σ index_d · strides_d]}. */
    record Load(Operand src, long[] strides) implements LoopExpr {
        public Load {
            Objects.requireNonNull(src);
            strides = strides.clone();
        }

        @Override
        public long[] strides() {
            return strides.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Load l && src.equals(l.src) && Arrays.equals(strides, l.strides);
        }

        @Override
        public int hashCode() {
            return 31 * src.hashCode() + Arrays.hashCode(strides);
        }

        @Override
        public String toString() {
            return src + Arrays.toString(strides);
        }
    }

    /** The size of a dimension as a float; a batch dimension is known only at run time. */
    record DimValue(Dim dim) implements LoopExpr {
        @Override
        public String toString() {
            return "size(" + dim + ")";
        }
    }

    record Const(float value) implements LoopExpr {
        @Override
        public String toString() {
            return Float.toString(value);
        }
    }

    record Unary(Op.UnaryKind kind, LoopExpr x) implements LoopExpr {
        @Override
        public String toString() {
            return kind.mnemonic() + "(" + x + ")";
        }
    }

    record Binary(Op.BinaryKind kind, LoopExpr a, LoopExpr b) implements LoopExpr {
        @Override
        public String toString() {
            return kind.mnemonic() + "(" + a + ", " + b + ")";
        }
    }

    /** Folds {@code body} over a further index of {@code extent} values (at most one per kernel). */
    record Reduce(Op.ReduceKind kind, Dim extent, LoopExpr body) implements LoopExpr {
        @Override
        public String toString() {
            return kind.mnemonic() + "[" + extent + "](" + body + ")";
        }
    }
}

package dev.nnc.compiler.ir;

/**
 * One dimension of a shape: a static size, or a static multiple of the symbolic batch size {@code B}.
 *
 * <p>A batch dimension prints as {@code B} (factor 1) or {@code 3*B}; it evaluates to {@code factor * b} for a
 * run at batch {@code b}.
 */
public record Dim(long factor, boolean batch) {

    public Dim {
        if (factor < (batch ? 1 : 0)) {
            throw new IllegalArgumentException("dimension must be " + (batch ? "a positive multiple of B" : "non-negative") + ", got " + factor);
        }
    }

    public static Dim of(long size) {
        return new Dim(size, false);
    }

    public static Dim batch(long factor) {
        return new Dim(factor, true);
    }

    /** The size of this dimension when the batch is {@code b}. */
    public long at(int b) {
        return batch ? factor * b : factor;
    }

    public boolean isOne() {
        return !batch && factor == 1;
    }

    /** This dimension multiplied by a static size. */
    public Dim times(long n) {
        return new Dim(factor * n, batch);
    }

    @Override
    public String toString() {
        if (!batch) return Long.toString(factor);
        return factor == 1 ? "B" : factor + "*B";
    }
}

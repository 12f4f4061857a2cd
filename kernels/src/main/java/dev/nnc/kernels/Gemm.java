package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision matrix multiply C = op(A)·op(B) (+ C) over row-major float32 {@link MemorySegment}s.
 *
 * <p>op(A) is m×k (A is stored k×m when {@code transA}); op(B) is k×n (B is stored n×k when
 * {@code transB}, which is how a PyTorch {@code Linear.weight} [out, in] gives y = x·Wᵀ). All offsets
 * and leading dimensions count floats, not bytes. Segments may be of any alignment (memory-mapped
 * weights are only 4-byte aligned). C must not overlap A or B.
 *
 * <p>Small problems go to {@link GemmDirect}; the rest to the packed, register-blocked
 * {@link GemmBlocked}. A constant right operand (a dense layer's weight) can be laid out once ahead of time
 * ({@link #packB}) and multiplied from there ({@link #sgemmPackedB}), so no call repacks it. Thread-safe:
 * concurrent calls on different C are independent (packing buffers are per thread).
 */
public final class Gemm {

    /** Problems with at most this many multiply-adds skip packing. */
    static final long DIRECT_MAX_FMAS = 32_768;
    /** Products with a prepacked B and at most this many rows run row by row (GEMV-like). */
    static final int ROWS_MAX = 3;

    private Gemm() {
    }

    /**
     * Computes C[m×n] = op(A)·op(B), adding the previous C when {@code accumulate}.
     *
     * @param lda row stride of A as stored (≥ k, or ≥ m when transA)
     * @param ldb row stride of B as stored (≥ n, or ≥ k when transB)
     * @param ldc row stride of C (≥ n)
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
            MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
            MemorySegment c, long cOff, int ldc, boolean accumulate) {
        requireShape(m, n, k, transA ? m : k, lda, "lda");
        requireShape(m, n, k, transB ? k : n, ldb, "ldb");
        requireShape(m, n, k, n, ldc, "ldc");
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        c.setAtIndex(JAVA_FLOAT_UNALIGNED, cOff + (long) i * ldc + j, 0f);
                    }
                }
            }
            return;
        }
        Scratch scratch = Scratch.get();
        Operand opA = scratch.a.set(a, aOff, lda, transA);
        Operand opB = scratch.b.set(b, bOff, ldb, transB);
        if (!GemmBlocked.SUPPORTED || m <= 2 || (long) m * n * k <= DIRECT_MAX_FMAS) {
            GemmDirect.multiply(m, n, k, opA, opB, c, cOff, ldc, accumulate);
        } else {
            GemmBlocked.multiply(m, n, k, opA, opB, null, 0, c, cOff, ldc, accumulate);
        }
    }

    /** Floats that {@link #packB} writes for a k×n right operand: ⌈n / 16⌉·16·k. */
    public static long packedBFloats(int k, int n) {
        requireShape(1, n, k, 0, 1, "n");
        return PackedPanels.bFloats(k, n);
    }

    /**
     * Lays out op(B) (k×n; B is stored n×k when {@code transB}, as a PyTorch {@code Linear.weight}) as the panels
     * {@link #sgemmPackedB} reads, at float {@code dstOff} of {@code dst}, which must hold {@link #packedBFloats} floats.
     */
    public static void packB(boolean transB, int k, int n, MemorySegment b, long bOff, int ldb, MemorySegment dst, long dstOff) {
        requireShape(1, n, k, transB ? k : n, ldb, "ldb");
        Operand opB = Scratch.get().b.set(b, bOff, ldb, transB);
        PackedPanels.packB(opB, 0, 0, k, n, dst, dstOff);
    }

    /**
     * As {@link #sgemm}, with B already laid out by {@link #packB} at float {@code pbOff} of {@code pb}: a constant weight
     * packed once, when the model is loaded, instead of on every call.
     */
    public static void sgemmPackedB(boolean transA, int m, int n, int k, MemorySegment a, long aOff, int lda,
            MemorySegment pb, long pbOff, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        requireShape(m, n, k, transA ? m : k, lda, "lda");
        requireShape(m, n, k, n, ldc, "ldc");
        if (m == 0 || n == 0 || k == 0) {
            sgemm(transA, false, m, n, k, a, aOff, lda, pb, pbOff, Math.max(1, n), c, cOff, ldc, accumulate);
            return;
        }
        Operand opA = Scratch.get().a.set(a, aOff, lda, transA);
        if (!GemmBlocked.SUPPORTED) {
            GemmDirect.multiplyPacked(m, n, k, opA, pb, pbOff, c, cOff, ldc, accumulate);
        } else if (m <= ROWS_MAX) {
            GemmBlocked.multiplyRows(m, n, k, opA, pb, pbOff, c, cOff, ldc, accumulate);
        } else {
            GemmBlocked.multiply(m, n, k, opA, null, pb, pbOff, c, cOff, ldc, accumulate);
        }
    }

    /**
     * Computes {@code batch} independent products C_i = op(A_i)·op(B_i) (+ C_i), i = 0..batch−1, where
     * A_i starts at float {@code aOff + i·strideA} of {@code a}, likewise B_i and C_i; every product has
     * the same m, n, k, transposes and leading dimensions as in {@link #sgemm}. A stride of 0 shares that
     * operand across the batch (one weight matrix for every head, say). The products run in order
     * i = 0, 1, …, so {@code strideC} = 0 with {@code accumulate} sums all of them into one C; with
     * non-zero strideC the outputs must not overlap each other or any input.
     *
     * @param strideA floats from one A_i to the next (≥ 0)
     * @param strideB floats from one B_i to the next (≥ 0)
     * @param strideC floats from one C_i to the next (≥ 0)
     */
    public static void sgemmBatched(boolean transA, boolean transB, int batch, int m, int n, int k,
            MemorySegment a, long aOff, int lda, long strideA, MemorySegment b, long bOff, int ldb, long strideB,
            MemorySegment c, long cOff, int ldc, long strideC, boolean accumulate) {
        if (batch < 0) {
            throw new IllegalArgumentException("negative batch " + batch);
        }
        if (strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException(
                    "negative stride strideA=" + strideA + " strideB=" + strideB + " strideC=" + strideC);
        }
        for (int i = 0; i < batch; i++) {
            sgemm(transA, transB, m, n, k, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                    c, cOff + i * strideC, ldc, accumulate);
        }
    }

    private static void requireShape(int m, int n, int k, int minLd, int ld, String name) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size m=" + m + " n=" + n + " k=" + k);
        }
        if (ld < Math.max(1, minLd)) {
            throw new IllegalArgumentException(name + "=" + ld + " is smaller than " + Math.max(1, minLd));
        }
    }

    /**
     * A logical matrix view: element (r, s) is float {@code offset + r·rowStride + s·colStride} of {@code segment}. One of
     * the two strides is always 1. Mutable and reused: each thread's {@link Scratch} holds the two a call uses, so that
     * no call allocates (an object passed to a method the JIT does not inline escapes).
     */
    static final class Operand {
        private MemorySegment segment;
        private long offset;
        private long rowStride;
        private long colStride;

        /** Points this view at a row-major matrix (row stride {@code ld}), or, when {@code transposed}, a column-major one. */
        Operand set(MemorySegment segment, long offset, int ld, boolean transposed) {
            this.segment = segment;
            this.offset = offset;
            this.rowStride = transposed ? 1 : ld;
            this.colStride = transposed ? ld : 1;
            return this;
        }

        MemorySegment segment() {
            return segment;
        }

        long rowStride() {
            return rowStride;
        }

        long colStride() {
            return colStride;
        }

        /** Element (r, s). */
        float get(long r, long s) {
            return segment.getAtIndex(JAVA_FLOAT_UNALIGNED, offset + r * rowStride + s * colStride);
        }

        /** The float index of element (r, s) in {@link #segment()}. */
        long index(long r, long s) {
            return offset + r * rowStride + s * colStride;
        }
    }
}

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
 * {@link GemmBlocked}. Thread-safe: concurrent calls on different C are independent (packing buffers
 * are per thread).
 */
public final class Gemm {

    /** Problems with at most this many multiply-adds skip packing. */
    static final long DIRECT_MAX_FMAS = 32_768;

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
        Operand opA = transA ? new Operand(a, aOff, 1, lda) : new Operand(a, aOff, lda, 1);
        Operand opB = transB ? new Operand(b, bOff, 1, ldb) : new Operand(b, bOff, ldb, 1);
        if (m <= 2 || (long) m * n * k <= DIRECT_MAX_FMAS) {
            GemmDirect.multiply(m, n, k, opA, opB, c, cOff, ldc, accumulate);
        } else {
            GemmBlocked.multiply(m, n, k, opA, opB, c, cOff, ldc, accumulate);
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
     * A logical matrix view: element (r, s) is float {@code offset + r·rowStride + s·colStride} of
     * {@code segment}. One of the two strides is always 1.
     */
    record Operand(MemorySegment segment, long offset, long rowStride, long colStride) {
        Operand {
            if (rowStride != 1 && colStride != 1) {
                throw new IllegalArgumentException("one stride must be 1");
            }
        }

        float get(long r, long s) {
            return segment.getAtIndex(JAVA_FLOAT_UNALIGNED, offset + r * rowStride + s * colStride);
        }

        long index(long r, long s) {
            return offset + r * rowStride + s * colStride;
        }
    }
}

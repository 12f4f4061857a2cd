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

package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import dev.nnc.kernels.Gemm.Operand;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM path for small or skinny problems (m ≤ 2, or few multiply-adds), where packing would cost
 * more than it saves: it reads A and B in place.
 *
 * <p>When B's rows are contiguous each C row is built from vector AXPYs over its columns; otherwise
 * (transB) each C element is a dot product along k, vectorized when A's rows are contiguous too.
 */
final class GemmDirect {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();
    /** Rotations by VL/2, VL/4, … 1: adding each in turn leaves the sum of all lanes in lane 0, in a fixed order. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLDS = java.util.stream.IntStream.iterate(VL / 2, half -> half >= 1, half -> half / 2)
            .mapToObj(half -> VectorShuffle.iota(SPECIES, half, 1, true)).toArray(VectorShuffle[]::new);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private GemmDirect() {
    }

    static void multiply(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, int ldc,
            boolean accumulate) {
        for (int i = 0; i < m; i++) {
            long cRow = cOff + (long) i * ldc;
            if (b.colStride() == 1) {
                rowByAxpy(i, n, k, a, b, c, cRow, accumulate);
            } else {
                rowByDots(i, n, k, a, b, c, cRow, accumulate);
            }
        }
    }

    /** C[i, :] from Σ_p A(i,p)·B(p, :), four vectors of columns at a time, then one, then scalars. */
    private static void rowByAxpy(int i, int n, int k, Operand a, Operand b, MemorySegment c, long cRow,
            boolean accumulate) {
        MemorySegment bs = b.segment();
        int j = 0;
        for (; j + 4 * VL <= n; j += 4 * VL) {
            FloatVector s0 = FloatVector.zero(SPECIES);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int p = 0; p < k; p++) {
                FloatVector av = FloatVector.broadcast(SPECIES, a.get(i, p));
                long at = b.index(p, j) * Float.BYTES;
                s0 = av.fma(FloatVector.fromMemorySegment(SPECIES, bs, at, ORDER), s0);
                s1 = av.fma(FloatVector.fromMemorySegment(SPECIES, bs, at + VL * Float.BYTES, ORDER), s1);
                s2 = av.fma(FloatVector.fromMemorySegment(SPECIES, bs, at + 2 * VL * Float.BYTES, ORDER), s2);
                s3 = av.fma(FloatVector.fromMemorySegment(SPECIES, bs, at + 3 * VL * Float.BYTES, ORDER), s3);
            }
            store(s0, c, cRow + j, accumulate);
            store(s1, c, cRow + j + VL, accumulate);
            store(s2, c, cRow + j + 2 * VL, accumulate);
            store(s3, c, cRow + j + 3 * VL, accumulate);
        }
        for (; j + VL <= n; j += VL) {
            FloatVector s = FloatVector.zero(SPECIES);
            for (int p = 0; p < k; p++) {
                FloatVector av = FloatVector.broadcast(SPECIES, a.get(i, p));
                s = av.fma(FloatVector.fromMemorySegment(SPECIES, bs, b.index(p, j) * Float.BYTES, ORDER), s);
            }
            store(s, c, cRow + j, accumulate);
        }
        for (; j < n; j++) {
            float s = 0f;
            for (int p = 0; p < k; p++) {
                s = Math.fma(a.get(i, p), b.get(p, j), s);
            }
            storeScalar(s, c, cRow + j, accumulate);
        }
    }

    /** C[i, j] as dot products along k; B(·, j) is contiguous (transB). */
    private static void rowByDots(int i, int n, int k, Operand a, Operand b, MemorySegment c, long cRow,
            boolean accumulate) {
        boolean aRowContiguous = a.colStride() == 1;
        for (int j = 0; j < n; j++) {
            float s = aRowContiguous
                    ? dot(a.segment(), a.index(i, 0), b.segment(), b.index(0, j), k)
                    : stridedDot(i, j, k, a, b);
            storeScalar(s, c, cRow + j, accumulate);
        }
    }

    /** Σ x[xi + p]·y[yi + p] for p < k, with four independent vector accumulators. */
    static float dot(MemorySegment x, long xi, MemorySegment y, long yi, int k) {
        long xb = xi * Float.BYTES;
        long yb = yi * Float.BYTES;
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int p = 0;
        for (; p + 4 * VL <= k; p += 4 * VL) {
            long o = (long) p * Float.BYTES;
            s0 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s0);
            o += VL * Float.BYTES;
            s1 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s1);
            o += VL * Float.BYTES;
            s2 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s2);
            o += VL * Float.BYTES;
            s3 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s3);
        }
        for (; p + VL <= k; p += VL) {
            long o = (long) p * Float.BYTES;
            s0 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s0);
        }
        FloatVector sum = s0.add(s1).add(s2.add(s3));
        // a fixed tree (lane i += lane i + half, halving): reduceLanes' order is unspecified and differs between JIT tiers
        for (VectorShuffle<Float> fold : FOLDS) {
            sum = sum.add(sum.rearrange(fold));
        }
        float s = sum.lane(0);
        for (; p < k; p++) {
            s = Math.fma(x.getAtIndex(JAVA_FLOAT_UNALIGNED, xi + p), y.getAtIndex(JAVA_FLOAT_UNALIGNED, yi + p), s);
        }
        return s;
    }

    /**
     * C (+)= A·B with B the panels at {@code pbOff} of {@code pb}: the scalar path for machines whose vectors do not tile
     * a panel.
     */
    static void multiplyPacked(int m, int n, int k, Operand a, MemorySegment pb, long pbOff, MemorySegment c, long cOff,
            int ldc, boolean accumulate) {
        int bc = PackedPanels.B_COLUMNS;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float y = pb.getAtIndex(JAVA_FLOAT_UNALIGNED, pbOff + (long) (j / bc) * bc * k + (long) p * bc + j % bc);
                    s = Math.fma(a.get(i, p), y, s);
                }
                storeScalar(s, c, cOff + (long) i * ldc + j, accumulate);
            }
        }
    }

    private static float stridedDot(int i, int j, int k, Operand a, Operand b) {
        float s = 0f;
        for (int p = 0; p < k; p++) {
            s = Math.fma(a.get(i, p), b.get(p, j), s);
        }
        return s;
    }

    private static void store(FloatVector v, MemorySegment c, long index, boolean accumulate) {
        long at = index * Float.BYTES;
        FloatVector out = accumulate ? v.add(FloatVector.fromMemorySegment(SPECIES, c, at, ORDER)) : v;
        out.intoMemorySegment(c, at, ORDER);
    }

    private static void storeScalar(float v, MemorySegment c, long index, boolean accumulate) {
        float out = accumulate ? v + c.getAtIndex(JAVA_FLOAT_UNALIGNED, index) : v;
        c.setAtIndex(JAVA_FLOAT_UNALIGNED, index, out);
    }
}

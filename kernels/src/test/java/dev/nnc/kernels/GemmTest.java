package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Gemm#sgemm} against a double-precision triple loop for every transpose combination,
 * with and without accumulation, padded leading dimensions and non-zero offsets, on shapes that hit the
 * direct path, the blocked path and every block-edge case of the latter.
 *
 * <p>Tolerance: a float sum of k products carries a rounding error of at most about k·2⁻²⁴ times the
 * sum of |products| (Higham, γ_k); we allow (k + 2)·2⁻²³ · (Σ|a·b| + |C₀|), twice that bound. An
 * indexing or packing error gives errors of the order of the terms themselves, far above it.
 */
class GemmTest {

    private static final double UNIT_ROUNDOFF = 0x1p-23;
    private static final float UNTOUCHED = 12345f;

    record Shape(int m, int n, int k) {
    }

    /**
     * How the product is called: on the operands as stored, with B laid out ahead of time, or — the path of machines
     * whose vectors do not tile a panel — that B through the scalar fallback.
     */
    enum Variant { PLAIN, PACKED_B, SCALAR_PACKED_B }

    static Stream<Shape> shapes() {
        int bigN = GemmBlocked.NC + 5;
        return Stream.of(
                new Shape(1, 1, 1), new Shape(1, 10, 64), new Shape(2, 3, 5), new Shape(3, 1, 7),
                new Shape(7, 9, 11), new Shape(17, 33, 65), new Shape(6, 16, 400), new Shape(5, 15, 400),
                new Shape(64, 64, 64), new Shape(128, 10, 784), new Shape(45, 51, 300),
                new Shape(GemmBlocked.MC + 7, 2 * GemmBlocked.NR + 3, GemmBlocked.KC + 9),
                new Shape(9, bigN, 3), new Shape(200, 1, 300), new Shape(100, 100, 1), new Shape(20, 256, 40));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void matchesReferenceForAllTransposesAndAccumulate(Shape s) {
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    for (Variant variant : Variant.values()) {
                        check(variant, transA, transB, s.m(), s.n(), s.k(), accumulate, 0, 0);
                        check(variant, transA, transB, s.m(), s.n(), s.k(), accumulate, 3, 5);
                    }
                }
            }
        }
    }

    @Test
    void pytorchLinearShapeWithTransposedWeight() {
        for (Variant variant : Variant.values()) {
            check(variant, false, true, 128, 128, 784, false, 0, 0);
            check(variant, false, true, 1, 128, 784, false, 0, 0);
            check(variant, false, true, 3, 10, 84, true, 0, 0);
        }
    }

    @Test
    void packedLayoutsAreTheDocumentedOnes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = Segments.random(arena, 5 * 17, new Random(2));
            MemorySegment pb = Segments.filled(arena, Gemm.packedBFloats(5, 17), Float.NaN);
            Gemm.packB(true, 5, 17, b, 0, 5, pb, 0);                                        // b is stored 17×5
            assertEquals(2 * 16 * 5, Gemm.packedBFloats(5, 17));
            assertEquals(Segments.get(b, 16 * 5 + 4), Segments.get(pb, 16 * 5 + 16 * 4));   // B(4, 16): panel 1, depth 4, col 0
            assertEquals(0f, (float) Segments.get(pb, 16 * 5 + 16 * 4 + 1));
        }
    }

    @Test
    void zeroDepthClearsOrKeepsC() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Segments.filled(arena, 1, 1f);
            MemorySegment c = Segments.filled(arena, 6, 7f);
            Gemm.sgemm(false, false, 2, 3, 0, a, 0, 1, a, 0, 3, c, 0, 3, true);
            assertEquals(7f, (float) Segments.get(c, 5));
            Gemm.sgemm(false, false, 2, 3, 0, a, 0, 1, a, 0, 3, c, 0, 3, false);
            for (int i = 0; i < 6; i++) {
                assertEquals(0f, (float) Segments.get(c, i));
            }
        }
    }

    @Test
    void rejectsLeadingDimensionsSmallerThanRows() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = Segments.filled(arena, 64, 0f);
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.sgemm(false, false, 4, 4, 4, s, 0, 3, s, 0, 4, s, 0, 4, false));
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.sgemm(false, true, 4, 5, 4, s, 0, 4, s, 0, 3, s, 0, 5, false));
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.sgemm(false, false, 4, 4, 4, s, 0, 4, s, 0, 4, s, 0, 3, false));
        }
    }

    /** Runs one product with padded leading dimensions and offsets, and compares every C element. */
    private static void check(Variant variant, boolean transA, boolean transB, int m, int n, int k, boolean accumulate,
            int ldPad, int offset) {
        Random random = new Random(31L * m + 17L * n + k + (transA ? 1 : 0) + (transB ? 2 : 0) + ldPad);
        int lda = (transA ? m : k) + ldPad;
        int ldb = (transB ? k : n) + ldPad;
        int ldc = n + ldPad;
        int aRows = transA ? k : m;
        int bRows = transB ? n : k;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Segments.random(arena, offset + (long) aRows * lda, random);
            MemorySegment b = Segments.random(arena, offset + (long) bRows * ldb, random);
            MemorySegment c = Segments.filled(arena, offset + (long) m * ldc, UNTOUCHED);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c.setAtIndex(JAVA_FLOAT_UNALIGNED, offset + (long) i * ldc + j, random.nextFloat() * 2f - 1f);
                }
            }
            float[] before = Segments.toArray(c);
            switch (variant) {
                case PLAIN -> Gemm.sgemm(transA, transB, m, n, k, a, offset, lda, b, offset, ldb, c, offset, ldc, accumulate);
                case PACKED_B, SCALAR_PACKED_B -> {
                    MemorySegment pb = Segments.filled(arena, offset + Gemm.packedBFloats(k, n), Float.NaN);
                    Gemm.packB(transB, k, n, b, offset, ldb, pb, offset);
                    if (variant == Variant.PACKED_B) {
                        Gemm.sgemmPackedB(transA, m, n, k, a, offset, lda, pb, offset, c, offset, ldc, accumulate);
                    } else {
                        GemmDirect.multiplyPacked(m, n, k, new Gemm.Operand().set(a, offset, lda, transA), pb, offset,
                                c, offset, ldc, accumulate);
                    }
                }
            }
            List<String> errors = new ArrayList<>();
            for (int idx = 0; idx < before.length; idx++) {
                long rel = idx - offset;
                boolean inside = rel >= 0 && rel % ldc < n && rel / ldc < m;
                if (!inside && Segments.get(c, idx) != before[idx] && errors.size() < 5) {
                    errors.add("wrote outside C at float " + idx);
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = accumulate ? before[offset + i * ldc + j] : 0.0;
                    double magnitude = Math.abs(sum);
                    for (int p = 0; p < k; p++) {
                        double av = Segments.get(a, offset + (transA ? (long) p * lda + i : (long) i * lda + p));
                        double bv = Segments.get(b, offset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                        sum += av * bv;
                        magnitude += Math.abs(av * bv);
                    }
                    double got = Segments.get(c, offset + (long) i * ldc + j);
                    double tolerance = (k + 2) * UNIT_ROUNDOFF * magnitude;
                    if (!(Math.abs(got - sum) <= tolerance) && errors.size() < 5) {
                        errors.add("C[%d,%d] = %s, expected %s ± %s".formatted(i, j, got, sum, tolerance));
                    }
                }
            }
            if (!errors.isEmpty()) {
                fail("%s transA=%b transB=%b m=%d n=%d k=%d accumulate=%b ldPad=%d offset=%d: %s".formatted(
                        variant, transA, transB, m, n, k, accumulate, ldPad, offset, errors));
            }
        }
    }
}

package dev.nnc.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Gemm#sgemmBatched} against a loop of {@link Gemm#sgemm} calls on the same operands, for
 * every transpose combination, with and without accumulate, padded strides, shared (stride 0) A or B, and
 * a summing stride-0 C. Both sides run the same float code in the same order, so results must agree
 * bit for bit; sgemm's own accuracy is {@link GemmTest}'s concern.
 */
class GemmBatchedTest {

    record Layout(int batch, int m, int n, int k, boolean shareA, boolean shareB) {
    }

    static Stream<Layout> layouts() {
        return Stream.of(
                new Layout(1, 1, 1, 1, false, false), new Layout(3, 4, 5, 6, false, false),
                new Layout(4, 7, 9, 11, true, false), new Layout(4, 7, 9, 11, false, true),
                new Layout(2, 40, 50, 33, false, false), new Layout(5, 3, 8, 2, true, true),
                new Layout(0, 3, 3, 3, false, false));
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void matchesLoopOfSgemm(Layout l) {
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    check(l, transA, transB, accumulate);
                }
            }
        }
    }

    @Test
    void strideZeroOutputWithAccumulateSumsTheBatch() {
        int batch = 3;
        int m = 2;
        int n = 3;
        int k = 4;
        try (Arena arena = Arena.ofConfined()) {
            Random random = new Random(7);
            MemorySegment a = Segments.random(arena, (long) batch * m * k, random);
            MemorySegment b = Segments.random(arena, (long) batch * k * n, random);
            MemorySegment c = Segments.filled(arena, (long) m * n, 0f);
            Gemm.sgemmBatched(false, false, batch, m, n, k, a, 0, k, (long) m * k, b, 0, n, (long) k * n,
                    c, 0, n, 0, true);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < batch; p++) {
                        for (int q = 0; q < k; q++) {
                            sum += Segments.get(a, (long) p * m * k + (long) i * k + q)
                                    * Segments.get(b, (long) p * k * n + (long) q * n + j);
                        }
                    }
                    // batch·k = 12 products of magnitude ≤ 1: float error well below 1e-5.
                    assertEquals(sum, Segments.get(c, (long) i * n + j), 1e-5);
                }
            }
        }
    }

    @Test
    void rejectsNegativeBatchAndStrides() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = Segments.filled(arena, 4, 0f);
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.sgemmBatched(false, false, -1, 1, 1, 1, s, 0, 1, 0, s, 0, 1, 0, s, 2, 1, 0, false));
            assertThrows(IllegalArgumentException.class,
                    () -> Gemm.sgemmBatched(false, false, 1, 1, 1, 1, s, 0, 1, -1, s, 0, 1, 0, s, 2, 1, 1, false));
        }
    }

    private static void check(Layout l, boolean transA, boolean transB, boolean accumulate) {
        int lda = (transA ? l.m() : l.k()) + 2;
        int ldb = (transB ? l.k() : l.n()) + 1;
        int ldc = l.n() + 3;
        long aSize = (long) (transA ? l.k() : l.m()) * lda;
        long bSize = (long) (transB ? l.n() : l.k()) * ldb;
        long cSize = (long) l.m() * ldc;
        long strideA = l.shareA() ? 0 : aSize + 5;
        long strideB = l.shareB() ? 0 : bSize + 1;
        long strideC = cSize + 2;
        long aOff = 3;
        long bOff = 1;
        long cOff = 2;
        int slots = Math.max(1, l.batch());
        Random random = new Random(l.hashCode() * 4L + (transA ? 2 : 0) + (transB ? 1 : 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = Segments.random(arena, aOff + slots * (aSize + 5), random);
            MemorySegment b = Segments.random(arena, bOff + slots * (bSize + 1), random);
            MemorySegment initial = Segments.random(arena, cOff + slots * strideC, random);
            MemorySegment batched = copy(arena, initial);
            MemorySegment looped = copy(arena, initial);
            Gemm.sgemmBatched(transA, transB, l.batch(), l.m(), l.n(), l.k(), a, aOff, lda, strideA, b, bOff, ldb,
                    strideB, batched, cOff, ldc, strideC, accumulate);
            for (int i = 0; i < l.batch(); i++) {
                Gemm.sgemm(transA, transB, l.m(), l.n(), l.k(), a, aOff + i * strideA, lda, b, bOff + i * strideB,
                        ldb, looped, cOff + i * strideC, ldc, accumulate);
            }
            assertArrayEquals(Segments.toArray(looped), Segments.toArray(batched),
                    () -> l + " transA=" + transA + " transB=" + transB + " accumulate=" + accumulate);
        }
    }

    private static MemorySegment copy(Arena arena, MemorySegment source) {
        MemorySegment s = arena.allocate(source.byteSize(), 64);
        MemorySegment.copy(source, 0, s, 0, source.byteSize());
        return s;
    }
}

package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.OpenClDevices;
import dev.nnc.compiler.emit.OpenClEmitter;
import dev.nnc.compiler.ir.Dim;
import dev.nnc.runtime.OpenClSchedule;
import dev.nnc.runtime.opencl.GemmTiles;
import dev.nnc.runtime.opencl.OpenClModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tiled OpenCL GEMM with every tile shape the tuner may choose, against a float64 product, on shapes that leave
 * partial tiles in every direction: a single row, k smaller and larger than a tile's depth, both transposes, padded
 * leading dimensions, several products with strides, and accumulation into C.
 */
class OpenClGemmTest {

    /** transA, transB, m, n, k, products, accumulate. */
    private record Case(boolean transA, boolean transB, int m, int n, int k, int count, boolean accumulate) {}

    private static final List<Case> CASES = List.of(
            new Case(false, false, 1, 7, 13, 1, false),
            new Case(true, false, 33, 65, 17, 1, true),
            new Case(false, true, 70, 3, 129, 1, false),
            new Case(true, true, 5, 40, 9, 3, false),
            new Case(false, false, 130, 129, 40, 2, true));

    @BeforeAll
    static void needsADevice() {
        OpenClDevices.assumeOne();
    }

    static Stream<String> tiles() {
        return Stream.of("32,32,16,2,2", "16,16,16,1,1", "64,64,16,4,4", "64,64,8,4,4", "128,128,8,8,8", "128,64,16,8,4", "32,32,32,4,4", "64,64,16,8,8",
                "128,128,8,8,16", "128,256,16,8,16", "128,256,8,16,16");
    }

    @ParameterizedTest(name = "tiles {0}")
    @MethodSource("tiles")
    void everyTileShapeComputesTheProduct(String tiles) throws Exception {
        String previous = System.getProperty("nnc.opencl.gemm.tiles");
        System.setProperty("nnc.opencl.gemm.tiles", tiles);
        try {
            for (Case c : CASES) check(c, GemmTiles.parse(tiles));
        } finally {
            if (previous == null) System.clearProperty("nnc.opencl.gemm.tiles");
            else System.setProperty("nnc.opencl.gemm.tiles", previous);
        }
    }

    @Test
    void theTunerCandidatesAreTheTestedOnes() {
        assertEquals(tiles().toList(), GemmTiles.candidates().stream().map(GemmTiles::toString).toList());
    }

    private static void check(Case c, GemmTiles tiles) throws Exception {
        int lda = (c.transA() ? c.m() : c.k()) + 3, ldb = (c.transB() ? c.k() : c.n()) + 1, ldc = c.n() + 2;
        long strideA = (long) lda * (c.transA() ? c.k() : c.m()) + 5, strideB = (long) ldb * (c.transB() ? c.n() : c.k()) + 7;
        long strideC = (long) ldc * c.m() + 1;
        Buffer a = new Buffer(0, "a", Buffer.Memory.ARENA, Dim.of(strideA * c.count()));
        Buffer b = new Buffer(1, "b", Buffer.Memory.ARENA, Dim.of(strideB * c.count()));
        Buffer out = new Buffer(2, "c", Buffer.Memory.ARENA, Dim.of(strideC * c.count()));
        LibraryCall.Gemm gemm = new LibraryCall.Gemm(c.transA(), c.transB(), Dim.of(c.count()), Dim.of(c.m()), Dim.of(c.n()), Dim.of(c.k()),
                new Operand(a, 0), lda, strideA, new Operand(b, 0), ldb, strideB, new Operand(out, 0), ldc, strideC, c.accumulate(), null);
        KernelProgram program = new KernelProgram("gemm", 1, List.of(a, b, out), List.of(new Kernel.Call(List.of("c"), gemm)), Map.of(), Map.of(), Map.of());
        MemoryPlan plan = MemoryPlan.separate(program, Map.of());
        OpenClSchedule schedule = OpenClEmitter.emit(program, plan);
        SplittableRandom random = new SplittableRandom(c.m() * 31L + c.n());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(plan.arenaBytes(), 64);
            float[] all = new float[(int) (plan.arenaBytes() / 4)];
            for (int i = 0; i < all.length; i++) all[i] = (float) (random.nextDouble() * 2 - 1);
            MemorySegment.copy(all, 0, host, ValueLayout.JAVA_FLOAT, 0, all.length);
            try (OpenClModel model = OpenClModel.create(host.byteSize(), arena.allocate(64), schedule)) {
                assertEquals(tiles, model.gemmTiles());
                model.runArena(host, 1);
            }
            long a0 = plan.floatIndex(new Operand(a, 0)), b0 = plan.floatIndex(new Operand(b, 0)), c0 = plan.floatIndex(new Operand(out, 0));
            for (int q = 0; q < c.count(); q++) {
                for (int i = 0; i < c.m(); i++) {
                    for (int j = 0; j < c.n(); j++) {
                        long at = c0 + q * strideC + (long) i * ldc + j;
                        double want = c.accumulate() ? all[(int) at] : 0;
                        for (int p = 0; p < c.k(); p++) {
                            want += (double) all[(int) (a0 + q * strideA + (c.transA() ? (long) p * lda + i : (long) i * lda + p))]
                                    * all[(int) (b0 + q * strideB + (c.transB() ? (long) j * ldb + p : (long) p * ldb + j))];
                        }
                        float got = host.getAtIndex(ValueLayout.JAVA_FLOAT, at);
                        assertTrue(Math.abs(got - want) <= 1e-5 * (c.k() + 1), c + " tiles " + tiles + " C[" + q + "][" + i + "][" + j + "]: " + got + ", want " + want);
                    }
                    for (int j = c.n(); j < ldc && (long) i * ldc + j < strideC; j++) {   // the padding of C's rows is left alone
                        long at = c0 + q * strideC + (long) i * ldc + j;
                        assertEquals(all[(int) at], host.getAtIndex(ValueLayout.JAVA_FLOAT, at), c + " padding C[" + q + "][" + i + "][" + j + "]");
                    }
                }
            }
        }
    }
}

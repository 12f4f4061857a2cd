package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Pool} against direct loops with PyTorch semantics: −∞ padding for max (so max is
 * exact), zero padding counted in the average's divisor kh·kw. The average is a float sum of at most
 * kh·kw terms, so we allow (kh·kw + 1)·2⁻²³ · mean|x| of absolute error.
 */
class PoolTest {

    private static final double UNIT_ROUNDOFF = 0x1p-23;

    record Case(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW) {
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
                new Case(2, 3, 4, 4, 2, 2, 2, 2, 0, 0),
                new Case(1, 2, 5, 5, 3, 3, 2, 2, 1, 1),
                new Case(1, 1, 7, 6, 3, 2, 1, 2, 1, 1),
                new Case(2, 2, 9, 11, 3, 3, 3, 2, 0, 1),
                new Case(1, 3, 6, 6, 4, 4, 1, 1, 2, 2),
                new Case(1, 1, 5, 8, 5, 2, 2, 3, 0, 1));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void maxAndAverageMatchDirectLoops(Case t) {
        int oh = (t.h() + 2 * t.padH() - t.kh()) / t.strideH() + 1;
        int ow = (t.w() + 2 * t.padW() - t.kw()) / t.strideW() + 1;
        try (Arena arena = Arena.ofConfined()) {
            long planes = (long) t.n() * t.c();
            MemorySegment x = Segments.random(arena, 2 + planes * t.h() * t.w(), new Random(t.hashCode()));
            MemorySegment max = Segments.filled(arena, 1 + planes * oh * ow, Float.NaN);
            MemorySegment avg = Segments.filled(arena, 1 + planes * oh * ow, Float.NaN);
            Pool.maxPool2d(t.n(), t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(), t.padH(), t.padW(),
                    x, 2, max, 1);
            Pool.avgPool2d(t.n(), t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(), t.padH(), t.padW(),
                    x, 2, avg, 1);
            for (long plane = 0; plane < planes; plane++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double best = Double.NEGATIVE_INFINITY;
                        double sum = 0;
                        double magnitude = 0;
                        for (int ky = 0; ky < t.kh(); ky++) {
                            for (int kx = 0; kx < t.kw(); kx++) {
                                int iy = oy * t.strideH() - t.padH() + ky;
                                int ix = ox * t.strideW() - t.padW() + kx;
                                if (iy >= 0 && iy < t.h() && ix >= 0 && ix < t.w()) {
                                    double v = Segments.get(x, 2 + (plane * t.h() + iy) * t.w() + ix);
                                    best = Math.max(best, v);
                                    sum += v;
                                    magnitude += Math.abs(v);
                                }
                            }
                        }
                        long out = 1 + (plane * oh + oy) * ow + ox;
                        int area = t.kh() * t.kw();
                        assertEquals(best, Segments.get(max, out), () -> t + " max at " + out);
                        double tolerance = (area + 1) * UNIT_ROUNDOFF * magnitude / area;
                        assertEquals(sum / area, Segments.get(avg, out), tolerance, () -> t + " avg at " + out);
                    }
                }
            }
        }
    }

    @Test
    void maxPoolPropagatesNaNLikePyTorch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = Segments.filled(arena, 4, 1f);
            x.setAtIndex(JAVA_FLOAT_UNALIGNED, 2, Float.NaN);
            MemorySegment y = Segments.filled(arena, 1, 0f);
            Pool.maxPool2d(1, 1, 2, 2, 2, 2, 1, 1, 0, 0, x, 0, y, 0);
            assertTrue(Float.isNaN(y.getAtIndex(JAVA_FLOAT_UNALIGNED, 0)));
        }
    }

    @Test
    void averageDividesByFullWindowIncludingPadding() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = Segments.filled(arena, 1, 9f);
            MemorySegment y = Segments.filled(arena, 1, 0f);
            Pool.avgPool2d(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, x, 0, y, 0);
            assertEquals(1f, y.getAtIndex(JAVA_FLOAT_UNALIGNED, 0));
        }
    }
}

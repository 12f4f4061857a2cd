package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Pool#maxPool2dBackward} and {@link Pool#avgPool2dBackward} against direct double loops,
 * with overlapping windows (stride &lt; kernel), padding, and inputs drawn from {0, 1, 2, 3} so that most
 * windows hold ties (the first maximum in row-major order must win).
 *
 * <p>Each dx element is a float sum of at most ⌈kh/sH⌉·⌈kw/sW⌉ window contributions (plus, for the
 * average, one division each), so we allow (that count + 1)·2⁻²³ · Σ|contribution|.
 */
class PoolBackwardTest {

    private static final double UNIT_ROUNDOFF = 0x1p-23;

    record Case(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW) {

        int oh() {
            return (h + 2 * padH - kh) / strideH + 1;
        }

        int ow() {
            return (w + 2 * padW - kw) / strideW + 1;
        }

        int overlap() {
            return Math.ceilDiv(kh, strideH) * Math.ceilDiv(kw, strideW);
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
                new Case(2, 3, 4, 4, 2, 2, 2, 2, 0, 0),
                new Case(1, 2, 5, 5, 3, 3, 2, 2, 1, 1),
                new Case(1, 1, 7, 6, 3, 2, 1, 2, 1, 1),
                new Case(2, 2, 9, 11, 3, 3, 3, 2, 0, 1),
                new Case(1, 3, 6, 6, 4, 4, 1, 1, 2, 2),
                new Case(1, 1, 5, 8, 5, 2, 2, 3, 0, 1),
                new Case(1, 2, 7, 7, 2, 2, 3, 3, 0, 0));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void maxAndAverageGradientsMatchDirectLoops(Case t) {
        Random random = new Random(t.hashCode());
        int planes = t.n() * t.c();
        int inFloats = planes * t.h() * t.w();
        int outFloats = planes * t.oh() * t.ow();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = Segments.filled(arena, 2 + inFloats, 0f);
            for (int i = 0; i < inFloats; i++) {
                x.setAtIndex(JAVA_FLOAT_UNALIGNED, 2 + i, random.nextInt(4));
            }
            MemorySegment dy = Segments.random(arena, 1 + outFloats, random);
            MemorySegment maxDx = Segments.filled(arena, 3 + inFloats, Float.NaN);
            MemorySegment avgDx = Segments.filled(arena, 3 + inFloats, Float.NaN);
            Pool.maxPool2dBackward(t.n(), t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(), t.padH(),
                    t.padW(), x, 2, dy, 1, maxDx, 3);
            Pool.avgPool2dBackward(t.n(), t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(), t.padH(),
                    t.padW(), dy, 1, avgDx, 3);

            double[] maxExpected = new double[inFloats];
            double[] maxMagnitude = new double[inFloats];
            double[] avgExpected = new double[inFloats];
            double[] avgMagnitude = new double[inFloats];
            int area = t.kh() * t.kw();
            for (int plane = 0; plane < planes; plane++) {
                for (int oy = 0; oy < t.oh(); oy++) {
                    for (int ox = 0; ox < t.ow(); ox++) {
                        double g = Segments.get(dy, 1 + ((long) plane * t.oh() + oy) * t.ow() + ox);
                        int winner = -1;
                        double best = Double.NEGATIVE_INFINITY;
                        for (int ky = 0; ky < t.kh(); ky++) {
                            for (int kx = 0; kx < t.kw(); kx++) {
                                int iy = oy * t.strideH() - t.padH() + ky;
                                int ix = ox * t.strideW() - t.padW() + kx;
                                if (iy < 0 || iy >= t.h() || ix < 0 || ix >= t.w()) {
                                    continue;
                                }
                                int at = (plane * t.h() + iy) * t.w() + ix;
                                double v = Segments.get(x, 2 + at);
                                if (winner < 0 || v > best) {
                                    winner = at;
                                    best = v;
                                }
                                avgExpected[at] += g / area;
                                avgMagnitude[at] += Math.abs(g / area);
                            }
                        }
                        maxExpected[winner] += g;
                        maxMagnitude[winner] += Math.abs(g);
                    }
                }
            }
            double slack = (t.overlap() + 1) * UNIT_ROUNDOFF;
            for (int i = 0; i < inFloats; i++) {
                check(t + " max dx", i, maxExpected[i], Segments.get(maxDx, 3 + i), slack * maxMagnitude[i]);
                check(t + " avg dx", i, avgExpected[i], Segments.get(avgDx, 3 + i), slack * avgMagnitude[i]);
            }
        }
    }

    /** Windows of a constant plane tie everywhere: each window's gradient goes to its first in-bounds position. */
    @Test
    void tiesSendGradientToFirstMaximumOfEachWindow() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = Segments.filled(arena, 9, 5f);
            MemorySegment dy = Segments.filled(arena, 4, 0f);
            float[] grads = {1f, 10f, 100f, 1000f};
            for (int i = 0; i < 4; i++) {
                dy.setAtIndex(JAVA_FLOAT_UNALIGNED, i, grads[i]);
            }
            MemorySegment dx = Segments.filled(arena, 9, Float.NaN);
            // 3×3 input, 2×2 windows, stride 1: windows start at (0,0), (0,1), (1,0), (1,1).
            Pool.maxPool2dBackward(1, 1, 3, 3, 2, 2, 1, 1, 0, 0, x, 0, dy, 0, dx, 0);
            assertArrayEquals(new float[] {1f, 10f, 0f, 100f, 1000f, 0f, 0f, 0f, 0f}, Segments.toArray(dx));
        }
    }

    /** Overlapping windows whose maxima coincide accumulate, and −∞ padding never wins over a real value. */
    @Test
    void overlappingWindowsAccumulateAtSharedMaximum() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = Segments.filled(arena, 9, -7f);
            x.setAtIndex(JAVA_FLOAT_UNALIGNED, 4, -1f);
            MemorySegment dy = Segments.filled(arena, 9, 1f);
            MemorySegment dx = Segments.filled(arena, 9, Float.NaN);
            // 3×3 windows, stride 1, padding 1 on a 3×3 input: all nine windows contain the centre.
            Pool.maxPool2dBackward(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, x, 0, dy, 0, dx, 0);
            assertArrayEquals(new float[] {0f, 0f, 0f, 0f, 9f, 0f, 0f, 0f, 0f}, Segments.toArray(dx));
        }
    }

    /** count_include_pad: a corner window with one in-bounds element still divides by kh·kw. */
    @Test
    void averageGradientDividesByFullWindowIncludingPadding() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dy = Segments.filled(arena, 1, 9f);
            MemorySegment dx = Segments.filled(arena, 1, Float.NaN);
            Pool.avgPool2dBackward(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, dy, 0, dx, 0);
            assertArrayEquals(new float[] {1f}, Segments.toArray(dx));
        }
    }

    private static void check(String what, int index, double expected, double got, double tolerance) {
        if (!(Math.abs(got - expected) <= tolerance)) {
            fail("%s[%d] = %s, expected %s ± %s".formatted(what, index, got, expected, tolerance));
        }
    }
}

package dev.nnc.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Conv#conv2d} against a direct double-precision convolution for stride, padding,
 * kernel-shape and channel combinations, including the 1×1 path that skips im2col.
 *
 * <p>Tolerance: each output is a GEMM dot product of depth c·kh·kw, so we allow the same
 * (depth + 2)·2⁻²³ · Σ|x·w| as {@link GemmTest}.
 */
class ConvTest {

    private static final double UNIT_ROUNDOFF = 0x1p-23;

    record Case(int n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW, int padH, int padW) {
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
                new Case(2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1),
                new Case(1, 2, 7, 6, 3, 3, 3, 2, 2, 1, 1),
                new Case(2, 3, 8, 9, 5, 1, 1, 1, 1, 0, 0),
                new Case(1, 4, 9, 7, 2, 1, 1, 2, 2, 0, 0),
                new Case(1, 2, 6, 11, 3, 2, 4, 1, 3, 0, 2),
                new Case(3, 1, 28, 28, 8, 5, 5, 1, 1, 2, 2),
                new Case(1, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1),
                new Case(1, 3, 10, 10, 4, 7, 7, 2, 2, 3, 3),
                new Case(1, 2, 4, 4, 2, 3, 3, 3, 3, 2, 2));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesDirectConvolution(Case t) {
        int oh = (t.h() + 2 * t.padH() - t.kh()) / t.strideH() + 1;
        int ow = (t.w() + 2 * t.padW() - t.kw()) / t.strideW() + 1;
        Random random = new Random(t.hashCode());
        int scratchOff = 3;
        int xOff = 1;
        int wOff = 2;
        int yOff = 5;
        try (Arena arena = Arena.ofConfined()) {
            long scratchFloats = Conv.scratchFloats(t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(),
                    t.padH(), t.padW());
            assertEquals((long) t.c() * t.kh() * t.kw() * oh * ow, scratchFloats);
            MemorySegment x = Segments.random(arena, xOff + (long) t.n() * t.c() * t.h() * t.w(), random);
            MemorySegment weight = Segments.random(arena, wOff + (long) t.k() * t.c() * t.kh() * t.kw(), random);
            MemorySegment y = Segments.filled(arena, yOff + (long) t.n() * t.k() * oh * ow, Float.NaN);
            MemorySegment scratch = Segments.filled(arena, scratchOff + scratchFloats, Float.NaN);
            Conv.conv2d(t.n(), t.c(), t.h(), t.w(), t.k(), t.kh(), t.kw(), t.strideH(), t.strideW(), t.padH(),
                    t.padW(), x, xOff, weight, wOff, y, yOff, scratch, scratchOff);
            for (int img = 0; img < t.n(); img++) {
                for (int ko = 0; ko < t.k(); ko++) {
                    for (int oy = 0; oy < oh; oy++) {
                        for (int ox = 0; ox < ow; ox++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int ch = 0; ch < t.c(); ch++) {
                                for (int ky = 0; ky < t.kh(); ky++) {
                                    for (int kx = 0; kx < t.kw(); kx++) {
                                        int iy = oy * t.strideH() - t.padH() + ky;
                                        int ix = ox * t.strideW() - t.padW() + kx;
                                        if (iy < 0 || iy >= t.h() || ix < 0 || ix >= t.w()) {
                                            continue;
                                        }
                                        double xv = Segments.get(x, xOff
                                                + (((long) img * t.c() + ch) * t.h() + iy) * t.w() + ix);
                                        double wv = Segments.get(weight, wOff
                                                + (((long) ko * t.c() + ch) * t.kh() + ky) * t.kw() + kx);
                                        sum += xv * wv;
                                        magnitude += Math.abs(xv * wv);
                                    }
                                }
                            }
                            double got = Segments.get(y, yOff + (((long) img * t.k() + ko) * oh + oy) * ow + ox);
                            double tolerance = (t.c() * t.kh() * t.kw() + 2) * UNIT_ROUNDOFF * magnitude;
                            if (!(Math.abs(got - sum) <= tolerance)) {
                                fail("%s y[%d,%d,%d,%d] = %s, expected %s ± %s"
                                        .formatted(t, img, ko, oy, ox, got, sum, tolerance));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void rejectsKernelLargerThanPaddedInput() {
        assertThrows(IllegalArgumentException.class, () -> Conv.scratchFloats(1, 2, 2, 5, 1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Conv.scratchFloats(1, 4, 4, 3, 3, 0, 1, 0, 0));
    }
}

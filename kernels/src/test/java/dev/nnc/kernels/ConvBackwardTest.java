package dev.nnc.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Conv#conv2dBackwardInput} and {@link Conv#conv2dBackwardWeight} against direct
 * double-precision scatter loops, and the input gradient also through the adjoint identity
 * ⟨conv2d(x), dy⟩ = ⟨x, conv2dBackwardInput(dy)⟩ with the forward kernel.
 *
 * <p>Tolerances (u = 2⁻²³): an element of dx is a GEMM dot of depth k followed by at most kh·kw col2im
 * additions, so (k + kh·kw + 2)·u·Σ|dy·w| over its terms; an element of dw is a GEMM dot of depth oh·ow per
 * image accumulated over n images, so (oh·ow + n + 2)·u·Σ|dy·x|. Both sides of the adjoint identity equal
 * the same sum over all (image, out-channel, pixel, tap) terms; each float output carries at most
 * (c·kh·kw + k + kh·kw + 4)·u relative to the sum of |dy·w·x| over its terms, plus double rounding.
 */
class ConvBackwardTest {

    private static final double UNIT_ROUNDOFF = 0x1p-23;

    record Case(int n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW, int padH, int padW) {

        int oh() {
            return (h + 2 * padH - kh) / strideH + 1;
        }

        int ow() {
            return (w + 2 * padW - kw) / strideW + 1;
        }

        long xIndex(int img, int ch, int iy, int ix) {
            return (((long) img * c + ch) * h + iy) * w + ix;
        }

        long wIndex(int ko, int ch, int ky, int kx) {
            return (((long) ko * c + ch) * kh + ky) * kw + kx;
        }

        long yIndex(int img, int ko, int oy, int ox) {
            return (((long) img * k + ko) * oh() + oy) * ow() + ox;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
                new Case(2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1),
                new Case(2, 2, 7, 6, 3, 3, 3, 2, 2, 1, 1),
                new Case(2, 3, 8, 9, 5, 1, 1, 1, 1, 0, 0),
                new Case(1, 4, 9, 7, 2, 1, 1, 2, 2, 0, 0),
                new Case(1, 2, 6, 11, 3, 2, 4, 1, 3, 0, 2),
                new Case(2, 2, 6, 6, 3, 3, 3, 2, 2, 0, 0),
                new Case(3, 1, 28, 28, 8, 5, 5, 1, 1, 2, 2),
                new Case(2, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1),
                new Case(1, 3, 10, 10, 4, 7, 7, 2, 2, 3, 3),
                new Case(1, 2, 4, 4, 2, 3, 3, 3, 3, 2, 2),
                new Case(2, 3, 9, 40, 2, 3, 1, 1, 1, 1, 0));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void inputGradientMatchesScatterAndAdjointIdentity(Case t) {
        Random random = new Random(t.hashCode());
        int dyOff = 3;
        int wOff = 1;
        int dxOff = 2;
        int xOff = 5;
        int scratchOff = 7;
        long xFloats = (long) t.n() * t.c() * t.h() * t.w();
        long yFloats = (long) t.n() * t.k() * t.oh() * t.ow();
        long wFloats = (long) t.k() * t.c() * t.kh() * t.kw();
        try (Arena arena = Arena.ofConfined()) {
            long scratchFloats = Conv.scratchFloats(t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(),
                    t.padH(), t.padW());
            MemorySegment dy = Segments.random(arena, dyOff + yFloats, random);
            MemorySegment weight = Segments.random(arena, wOff + wFloats, random);
            MemorySegment x = Segments.random(arena, xOff + xFloats, random);
            MemorySegment dx = Segments.filled(arena, dxOff + xFloats, Float.NaN);
            MemorySegment y = Segments.filled(arena, yFloats, Float.NaN);
            MemorySegment scratch = Segments.filled(arena, scratchOff + scratchFloats, Float.NaN);
            Conv.conv2dBackwardInput(t.n(), t.c(), t.h(), t.w(), t.k(), t.kh(), t.kw(), t.strideH(), t.strideW(),
                    t.padH(), t.padW(), dy, dyOff, weight, wOff, dx, dxOff, scratch, scratchOff);

            double[] expected = new double[(int) xFloats];
            double[] magnitude = new double[(int) xFloats];
            double tripleMagnitude = 0;
            forEachTap(t, (img, ko, oy, ox, ch, ky, kx, iy, ix) -> {
                double term = Segments.get(dy, dyOff + t.yIndex(img, ko, oy, ox))
                        * Segments.get(weight, wOff + t.wIndex(ko, ch, ky, kx));
                int at = (int) t.xIndex(img, ch, iy, ix);
                expected[at] += term;
                magnitude[at] += Math.abs(term);
            });
            int taps = t.kh() * t.kw();
            for (int i = 0; i < xFloats; i++) {
                double got = Segments.get(dx, dxOff + i);
                double tolerance = (t.k() + taps + 2) * UNIT_ROUNDOFF * magnitude[i];
                if (!(Math.abs(got - expected[i]) <= tolerance)) {
                    fail("%s dx[%d] = %s, expected %s ± %s".formatted(t, i, got, expected[i], tolerance));
                }
                tripleMagnitude += magnitude[i] * Math.abs(Segments.get(x, xOff + i));
            }

            Conv.conv2d(t.n(), t.c(), t.h(), t.w(), t.k(), t.kh(), t.kw(), t.strideH(), t.strideW(), t.padH(),
                    t.padW(), x, xOff, weight, wOff, y, 0, scratch, scratchOff);
            double forward = 0;
            for (long i = 0; i < yFloats; i++) {
                forward += Segments.get(y, i) * Segments.get(dy, dyOff + i);
            }
            double backward = 0;
            for (long i = 0; i < xFloats; i++) {
                backward += Segments.get(x, xOff + i) * Segments.get(dx, dxOff + i);
            }
            double tolerance = (t.c() * taps + t.k() + taps + 4) * UNIT_ROUNDOFF * tripleMagnitude + 1e-12;
            assertEquals(forward, backward, tolerance, () -> t + " adjoint identity");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void weightGradientMatchesDirectSum(Case t) {
        Random random = new Random(~t.hashCode());
        int xOff = 1;
        int dyOff = 4;
        int dwOff = 3;
        int scratchOff = 2;
        long xFloats = (long) t.n() * t.c() * t.h() * t.w();
        long yFloats = (long) t.n() * t.k() * t.oh() * t.ow();
        long wFloats = (long) t.k() * t.c() * t.kh() * t.kw();
        try (Arena arena = Arena.ofConfined()) {
            long scratchFloats = Conv.scratchFloats(t.c(), t.h(), t.w(), t.kh(), t.kw(), t.strideH(), t.strideW(),
                    t.padH(), t.padW());
            MemorySegment x = Segments.random(arena, xOff + xFloats, random);
            MemorySegment dy = Segments.random(arena, dyOff + yFloats, random);
            MemorySegment dw = Segments.filled(arena, dwOff + wFloats, Float.NaN);
            MemorySegment scratch = Segments.filled(arena, scratchOff + scratchFloats, Float.NaN);
            Conv.conv2dBackwardWeight(t.n(), t.c(), t.h(), t.w(), t.k(), t.kh(), t.kw(), t.strideH(), t.strideW(),
                    t.padH(), t.padW(), x, xOff, dy, dyOff, dw, dwOff, scratch, scratchOff);

            double[] expected = new double[(int) wFloats];
            double[] magnitude = new double[(int) wFloats];
            forEachTap(t, (img, ko, oy, ox, ch, ky, kx, iy, ix) -> {
                double term = Segments.get(dy, dyOff + t.yIndex(img, ko, oy, ox))
                        * Segments.get(x, xOff + t.xIndex(img, ch, iy, ix));
                int at = (int) t.wIndex(ko, ch, ky, kx);
                expected[at] += term;
                magnitude[at] += Math.abs(term);
            });
            for (int i = 0; i < wFloats; i++) {
                double got = Segments.get(dw, dwOff + i);
                double tolerance = (t.oh() * t.ow() + t.n() + 2) * UNIT_ROUNDOFF * magnitude[i];
                if (!(Math.abs(got - expected[i]) <= tolerance)) {
                    fail("%s dw[%d] = %s, expected %s ± %s".formatted(t, i, got, expected[i], tolerance));
                }
            }
        }
    }

    /** One in-bounds convolution term: output (img, ko, oy, ox) reads input (img, ch, iy, ix) through tap (ky, kx). */
    @FunctionalInterface
    private interface TapVisitor {
        void visit(int img, int ko, int oy, int ox, int ch, int ky, int kx, int iy, int ix);
    }

    private static void forEachTap(Case t, TapVisitor visitor) {
        for (int img = 0; img < t.n(); img++) {
            for (int ko = 0; ko < t.k(); ko++) {
                for (int oy = 0; oy < t.oh(); oy++) {
                    for (int ox = 0; ox < t.ow(); ox++) {
                        for (int ch = 0; ch < t.c(); ch++) {
                            for (int ky = 0; ky < t.kh(); ky++) {
                                for (int kx = 0; kx < t.kw(); kx++) {
                                    int iy = oy * t.strideH() - t.padH() + ky;
                                    int ix = ox * t.strideW() - t.padW() + kx;
                                    if (iy >= 0 && iy < t.h() && ix >= 0 && ix < t.w()) {
                                        visitor.visit(img, ko, oy, ox, ch, ky, kx, iy, ix);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

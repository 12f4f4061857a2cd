package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * 2-D max and average pooling over NCHW float32 tensors, and their gradients, with PyTorch semantics
 * (floor output size).
 *
 * <p>Input x is [n, c, h, w], output y is [n, c, oh, ow] with oh = (h + 2·padH − kh) / strideH + 1
 * (likewise ow); the backward methods read dy shaped like y and overwrite dx shaped like x. Offsets count
 * floats. Stateless and thread-safe; outputs must not overlap inputs.
 */
public final class Pool {

    private Pool() {
    }

    /** Max pooling; padding counts as −∞, and a NaN inside a window makes that output NaN (as PyTorch). */
    public static void maxPool2d(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
            int padH, int padW, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        pool(true, n, c, h, w, kh, kw, strideH, strideW, padH, padW, x, xOff, y, yOff);
    }

    /** Average pooling with count_include_pad=True: every window sum is divided by kh·kw. */
    public static void avgPool2d(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
            int padH, int padW, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        pool(false, n, c, h, w, kh, kw, strideH, strideW, padH, padW, x, xOff, y, yOff);
    }

    /**
     * Gradient of {@link #maxPool2d}: dx is zeroed, then each window's dy is added at the position of its
     * maximum, so overlapping windows accumulate. As PyTorch's CPU kernel, the winner is the first in-bounds
     * position in row-major window order, replaced only by a strictly greater value or by a NaN (so ties go
     * to the first maximum, a window of −∞ to its first position, and a window with NaNs to its last NaN).
     * A window lying wholly in the padding has no position and drops its gradient.
     */
    public static void maxPool2dBackward(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
            int padH, int padW, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx,
            long dxOff) {
        WindowGeometry.requirePositive("n", n);
        WindowGeometry.requirePositive("c", c);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        long planes = (long) n * c;
        long planeIn = (long) h * w;
        dx.asSlice(dxOff * Float.BYTES, planes * planeIn * Float.BYTES).fill((byte) 0);
        for (long plane = 0; plane < planes; plane++) {
            long in = xOff + plane * planeIn;
            long grad = dxOff + plane * planeIn;
            long out = dyOff + plane * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * strideH - padH;
                int yLo = Math.max(y0, 0);
                int yHi = Math.min(y0 + kh, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = ox * strideW - padW;
                    int xLo = Math.max(x0, 0);
                    int xHi = Math.min(x0 + kw, w);
                    if (yLo >= yHi || xLo >= xHi) {
                        continue;
                    }
                    long at = windowArgMax(x, in, w, yLo, yHi, xLo, xHi);
                    float g = dy.getAtIndex(JAVA_FLOAT_UNALIGNED, out + (long) oy * ow + ox);
                    dx.setAtIndex(JAVA_FLOAT_UNALIGNED, grad + at, dx.getAtIndex(JAVA_FLOAT_UNALIGNED, grad + at) + g);
                }
            }
        }
    }

    /**
     * Gradient of {@link #avgPool2d} (count_include_pad=True): dx is zeroed, then each window adds
     * dy/(kh·kw) to every in-bounds position it covers.
     */
    public static void avgPool2dBackward(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
            int padH, int padW, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        WindowGeometry.requirePositive("n", n);
        WindowGeometry.requirePositive("c", c);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        float area = kh * kw;
        long planes = (long) n * c;
        long planeIn = (long) h * w;
        dx.asSlice(dxOff * Float.BYTES, planes * planeIn * Float.BYTES).fill((byte) 0);
        for (long plane = 0; plane < planes; plane++) {
            long grad = dxOff + plane * planeIn;
            long out = dyOff + plane * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * strideH - padH;
                int yLo = Math.max(y0, 0);
                int yHi = Math.min(y0 + kh, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = ox * strideW - padW;
                    int xLo = Math.max(x0, 0);
                    int xHi = Math.min(x0 + kw, w);
                    float share = dy.getAtIndex(JAVA_FLOAT_UNALIGNED, out + (long) oy * ow + ox) / area;
                    for (int iy = yLo; iy < yHi; iy++) {
                        long row = grad + (long) iy * w;
                        for (int ix = xLo; ix < xHi; ix++) {
                            dx.setAtIndex(JAVA_FLOAT_UNALIGNED, row + ix,
                                    dx.getAtIndex(JAVA_FLOAT_UNALIGNED, row + ix) + share);
                        }
                    }
                }
            }
        }
    }

    private static void pool(boolean max, int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
            int padH, int padW, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        WindowGeometry.requirePositive("n", n);
        WindowGeometry.requirePositive("c", c);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        float inverseArea = 1.0f / (kh * kw);
        long planes = (long) n * c;
        for (long plane = 0; plane < planes; plane++) {
            long in = xOff + plane * h * w;
            long out = yOff + plane * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * strideH - padH;
                int yLo = Math.max(y0, 0);
                int yHi = Math.min(y0 + kh, h);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = ox * strideW - padW;
                    int xLo = Math.max(x0, 0);
                    int xHi = Math.min(x0 + kw, w);
                    float value = max
                            ? windowMax(x, in, w, yLo, yHi, xLo, xHi)
                            : windowSum(x, in, w, yLo, yHi, xLo, xHi) * inverseArea;
                    y.setAtIndex(JAVA_FLOAT_UNALIGNED, out + (long) oy * ow + ox, value);
                }
            }
        }
    }

    private static float windowMax(MemorySegment x, long plane, int w, int yLo, int yHi, int xLo, int xHi) {
        float best = Float.NEGATIVE_INFINITY;
        for (int iy = yLo; iy < yHi; iy++) {
            long row = plane + (long) iy * w;
            for (int ix = xLo; ix < xHi; ix++) {
                float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, row + ix);
                if (Float.isNaN(v)) {
                    return v;
                }
                best = Math.max(best, v);
            }
        }
        return best;
    }

    /** Plane-relative index of the window's maximum, chosen as {@link #maxPool2dBackward} describes; the window is non-empty. */
    private static long windowArgMax(MemorySegment x, long plane, int w, int yLo, int yHi, int xLo, int xHi) {
        long best = (long) yLo * w + xLo;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int iy = yLo; iy < yHi; iy++) {
            long row = (long) iy * w;
            for (int ix = xLo; ix < xHi; ix++) {
                float v = x.getAtIndex(JAVA_FLOAT_UNALIGNED, plane + row + ix);
                if (v > bestValue || Float.isNaN(v)) {
                    bestValue = v;
                    best = row + ix;
                }
            }
        }
        return best;
    }

    private static float windowSum(MemorySegment x, long plane, int w, int yLo, int yHi, int xLo, int xHi) {
        float sum = 0f;
        for (int iy = yLo; iy < yHi; iy++) {
            long row = plane + (long) iy * w;
            for (int ix = xLo; ix < xHi; ix++) {
                sum += x.getAtIndex(JAVA_FLOAT_UNALIGNED, row + ix);
            }
        }
        return sum;
    }
}

package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution (cross-correlation, as PyTorch) of NCHW float32 tensors, without bias, as im2col
 * into caller-provided scratch followed by one {@link Gemm#sgemm} per image.
 *
 * <p>x is [n, c, h, w], weight is [k, c, kh, kw] (PyTorch layout), y is [n, k, oh, ow] with
 * oh = (h + 2·padH − kh) / strideH + 1 (floor), likewise ow. Offsets count floats. Per image the
 * scratch holds the column matrix [c·kh·kw, oh·ow]; {@link #scratchFloats} gives its size. A 1×1,
 * stride-1, unpadded convolution multiplies x directly and leaves scratch untouched. Stateless;
 * concurrent calls need distinct scratch and y.
 */
public final class Conv {

    private Conv() {
    }

    /** Floats of scratch one {@link #conv2d} call with these parameters needs (independent of n and k). */
    public static long scratchFloats(int c, int h, int w, int kh, int kw, int strideH, int strideW,
            int padH, int padW) {
        WindowGeometry.requirePositive("c", c);
        long oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        long ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        return (long) c * kh * kw * oh * ow;
    }

    /** y = conv2d(x, weight) with the given stride and zero padding; y is overwritten. */
    public static void conv2d(int n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW,
            int padH, int padW, MemorySegment x, long xOff, MemorySegment weight, long wOff,
            MemorySegment y, long yOff, MemorySegment scratch, long scratchOff) {
        WindowGeometry.requirePositive("n", n);
        WindowGeometry.requirePositive("k", k);
        long columns = scratchFloats(c, h, w, kh, kw, strideH, strideW, padH, padW);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        int depth = c * kh * kw;
        int pixels = oh * ow;
        if (columns > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("column matrix too large: " + columns + " floats");
        }
        boolean pointwise = kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
        long imageIn = (long) c * h * w;
        long imageOut = (long) k * pixels;
        for (int image = 0; image < n; image++) {
            long in = xOff + image * imageIn;
            long out = yOff + image * imageOut;
            if (pointwise) {
                Gemm.sgemm(false, false, k, pixels, depth, weight, wOff, depth, x, in, pixels,
                        y, out, pixels, false);
            } else {
                im2col(c, h, w, kh, kw, strideH, strideW, padH, padW, oh, ow, x, in, scratch, scratchOff);
                Gemm.sgemm(false, false, k, pixels, depth, weight, wOff, depth, scratch, scratchOff, pixels,
                        y, out, pixels, false);
            }
        }
    }

    /** Writes row (ch, ky, kx), column (oy, ox) of the column matrix: x[ch, oy·sH − pH + ky, ox·sW − pW + kx] or 0. */
    private static void im2col(int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
            int oh, int ow, MemorySegment x, long in, MemorySegment col, long colOff) {
        long row = colOff;
        for (int ch = 0; ch < c; ch++) {
            long plane = in + (long) ch * h * w;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int shift = kx - padW;
                    int oxLo = Math.clamp(Math.ceilDiv(-shift, strideW), 0, ow);
                    int oxHi = Math.clamp(Math.ceilDiv(w - shift, strideW), oxLo, ow);
                    for (int oy = 0; oy < oh; oy++) {
                        long dst = row + (long) oy * ow;
                        int iy = oy * strideH - padH + ky;
                        if (iy < 0 || iy >= h) {
                            zero(col, dst, 0, ow);
                            continue;
                        }
                        long src = plane + (long) iy * w + shift;
                        zero(col, dst, 0, oxLo);
                        if (strideW == 1) {
                            MemorySegment.copy(x, (src + oxLo) * Float.BYTES, col, (dst + oxLo) * Float.BYTES,
                                    (long) (oxHi - oxLo) * Float.BYTES);
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++) {
                                col.setAtIndex(JAVA_FLOAT_UNALIGNED, dst + ox,
                                        x.getAtIndex(JAVA_FLOAT_UNALIGNED, src + (long) ox * strideW));
                            }
                        }
                        zero(col, dst, oxHi, ow);
                    }
                    row += (long) oh * ow;
                }
            }
        }
    }

    private static void zero(MemorySegment col, long rowStart, int from, int to) {
        for (int i = from; i < to; i++) {
            col.setAtIndex(JAVA_FLOAT_UNALIGNED, rowStart + i, 0f);
        }
    }
}

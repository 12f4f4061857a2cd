package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2-D convolution (cross-correlation, as PyTorch) of NCHW float32 tensors, without bias, and its two
 * gradients, each as one {@link Gemm#sgemm} per image around a column matrix in caller-provided scratch.
 *
 * <p>x is [n, c, h, w], weight is [k, c, kh, kw] (PyTorch layout), y is [n, k, oh, ow] with
 * oh = (h + 2·padH − kh) / strideH + 1 (floor), likewise ow. Offsets count floats. Per image the
 * scratch holds the column matrix [c·kh·kw, oh·ow]; {@link #scratchFloats} gives its size for all three
 * methods. A 1×1, stride-1, unpadded convolution uses x (or dx) directly as its column matrix and leaves
 * scratch untouched. Stateless; concurrent calls need distinct scratch and outputs.
 */
public final class Conv {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private Conv() {
    }

    /** Floats of scratch one {@link #conv2d} (or backward) call with these parameters needs (independent of n and k). */
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
        requireShape(n, c, h, w, k, kh, kw, strideH, strideW, padH, padW);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        int depth = c * kh * kw;
        int pixels = oh * ow;
        boolean pointwise = isPointwise(kh, kw, strideH, strideW, padH, padW);
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

    /**
     * dx = ∂⟨conv2d(x, weight), dy⟩/∂x, which is also conv_transpose2d(dy, weight) with the same stride and
     * padding; dx [n, c, h, w] is overwritten, and input positions no window covers get 0.
     *
     * <p>Per image: columns [c·kh·kw, oh·ow] = weightᵀ · dy (one sgemm), then col2im adds every column
     * entry into the input position it was read from.
     */
    public static void conv2dBackwardInput(int n, int c, int h, int w, int k, int kh, int kw, int strideH,
            int strideW, int padH, int padW, MemorySegment dy, long dyOff, MemorySegment weight, long wOff,
            MemorySegment dx, long dxOff, MemorySegment scratch, long scratchOff) {
        requireShape(n, c, h, w, k, kh, kw, strideH, strideW, padH, padW);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        int depth = c * kh * kw;
        int pixels = oh * ow;
        boolean pointwise = isPointwise(kh, kw, strideH, strideW, padH, padW);
        long imageIn = (long) c * h * w;
        long imageOut = (long) k * pixels;
        for (int image = 0; image < n; image++) {
            long in = dxOff + image * imageIn;
            long out = dyOff + image * imageOut;
            if (pointwise) {
                Gemm.sgemm(true, false, depth, pixels, k, weight, wOff, depth, dy, out, pixels,
                        dx, in, pixels, false);
            } else {
                Gemm.sgemm(true, false, depth, pixels, k, weight, wOff, depth, dy, out, pixels,
                        scratch, scratchOff, pixels, false);
                dx.asSlice(in * Float.BYTES, imageIn * Float.BYTES).fill((byte) 0);
                col2im(c, h, w, kh, kw, strideH, strideW, padH, padW, oh, ow, scratch, scratchOff, dx, in);
            }
        }
    }

    /**
     * dw = ∂⟨conv2d(x, weight), dy⟩/∂weight = Σ over images of dy_image · im2col(x_image)ᵀ; dw [k, c, kh, kw]
     * is overwritten (the first image's product is stored, later ones are accumulated by sgemm).
     */
    public static void conv2dBackwardWeight(int n, int c, int h, int w, int k, int kh, int kw, int strideH,
            int strideW, int padH, int padW, MemorySegment x, long xOff, MemorySegment dy, long dyOff,
            MemorySegment dw, long dwOff, MemorySegment scratch, long scratchOff) {
        requireShape(n, c, h, w, k, kh, kw, strideH, strideW, padH, padW);
        int oh = WindowGeometry.outputSize("height", h, kh, strideH, padH);
        int ow = WindowGeometry.outputSize("width", w, kw, strideW, padW);
        int depth = c * kh * kw;
        int pixels = oh * ow;
        boolean pointwise = isPointwise(kh, kw, strideH, strideW, padH, padW);
        long imageIn = (long) c * h * w;
        long imageOut = (long) k * pixels;
        for (int image = 0; image < n; image++) {
            long in = xOff + image * imageIn;
            long out = dyOff + image * imageOut;
            boolean accumulate = image > 0;
            if (pointwise) {
                Gemm.sgemm(false, true, k, depth, pixels, dy, out, pixels, x, in, pixels,
                        dw, dwOff, depth, accumulate);
            } else {
                im2col(c, h, w, kh, kw, strideH, strideW, padH, padW, oh, ow, x, in, scratch, scratchOff);
                Gemm.sgemm(false, true, k, depth, pixels, dy, out, pixels, scratch, scratchOff, pixels,
                        dw, dwOff, depth, accumulate);
            }
        }
    }

    /** Validates the sizes shared by the three convolution methods, including that the column matrix fits an int. */
    private static void requireShape(int n, int c, int h, int w, int k, int kh, int kw, int strideH, int strideW,
            int padH, int padW) {
        WindowGeometry.requirePositive("n", n);
        WindowGeometry.requirePositive("k", k);
        long columns = scratchFloats(c, h, w, kh, kw, strideH, strideW, padH, padW);
        if (columns > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("column matrix too large: " + columns + " floats");
        }
    }

    private static boolean isPointwise(int kh, int kw, int strideH, int strideW, int padH, int padW) {
        return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
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

    /**
     * The adjoint of {@link #im2col}: adds column-matrix entry (ch, ky, kx; oy, ox) into
     * dx[ch, oy·sH − pH + ky, ox·sW − pW + kx] when that position is inside the image; dx must be zeroed first.
     */
    private static void col2im(int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
            int oh, int ow, MemorySegment col, long colOff, MemorySegment dx, long in) {
        long row = colOff;
        for (int ch = 0; ch < c; ch++) {
            long plane = in + (long) ch * h * w;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    int shift = kx - padW;
                    int oxLo = Math.clamp(Math.ceilDiv(-shift, strideW), 0, ow);
                    int oxHi = Math.clamp(Math.ceilDiv(w - shift, strideW), oxLo, ow);
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * strideH - padH + ky;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        long src = row + (long) oy * ow;
                        long dst = plane + (long) iy * w + shift;
                        if (strideW == 1) {
                            addInto(col, src + oxLo, dx, dst + oxLo, oxHi - oxLo);
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++) {
                                long at = dst + (long) ox * strideW;
                                dx.setAtIndex(JAVA_FLOAT_UNALIGNED, at, dx.getAtIndex(JAVA_FLOAT_UNALIGNED, at)
                                        + col.getAtIndex(JAVA_FLOAT_UNALIGNED, src + ox));
                            }
                        }
                    }
                    row += (long) oh * ow;
                }
            }
        }
    }

    /** dst[dstOff .. dstOff + count) += src[srcOff .. srcOff + count), vectors first, then a scalar tail. */
    private static void addInto(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int count) {
        int i = 0;
        for (; i + VL <= count; i += VL) {
            long from = (srcOff + i) * Float.BYTES;
            long to = (dstOff + i) * Float.BYTES;
            FloatVector.fromMemorySegment(SPECIES, dst, to, ORDER)
                    .add(FloatVector.fromMemorySegment(SPECIES, src, from, ORDER))
                    .intoMemorySegment(dst, to, ORDER);
        }
        for (; i < count; i++) {
            dst.setAtIndex(JAVA_FLOAT_UNALIGNED, dstOff + i, dst.getAtIndex(JAVA_FLOAT_UNALIGNED, dstOff + i)
                    + src.getAtIndex(JAVA_FLOAT_UNALIGNED, srcOff + i));
        }
    }

    private static void zero(MemorySegment col, long rowStart, int from, int to) {
        for (int i = from; i < to; i++) {
            col.setAtIndex(JAVA_FLOAT_UNALIGNED, rowStart + i, 0f);
        }
    }
}

package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.kernels.Conv;
import dev.nnc.kernels.WindowGeometry;

/**
 * The geometry of a sliding-window library call (convolution, pooling, their gradients) over NCHW images:
 * {@code n} images of {@code c} channels, {@code h}×{@code w}, a {@code kh}×{@code kw} window moved by the strides
 * over the zero-padded input. Output sizes come from {@code kernels}' own arithmetic, so the compiler and the
 * kernels cannot disagree.
 */
public record Window(Dim n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW) {

    public Window {
        WindowGeometry.outputSize("height", h, kh, strideH, padH);   // throws when the window does not fit
        WindowGeometry.outputSize("width", w, kw, strideW, padW);
    }

    public int outH() {
        return WindowGeometry.outputSize("height", h, kh, strideH, padH);
    }

    public int outW() {
        return WindowGeometry.outputSize("width", w, kw, strideW, padW);
    }

    /** Floats of im2col scratch a convolution (or its gradients) over one image of this geometry needs. */
    public long convScratchFloats() {
        return Conv.scratchFloats(c, h, w, kh, kw, strideH, strideW, padH, padW);
    }

    @Override
    public String toString() {
        return "n=" + n + " c=" + c + " " + h + "x" + w + " window " + kh + "x" + kw + " stride=" + strideH + "x" + strideW
                + " pad=" + padH + "x" + padW;
    }
}

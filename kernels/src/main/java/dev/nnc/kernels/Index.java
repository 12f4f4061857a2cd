package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Kernels that turn integer class labels into float tensors (one-hot targets for losses).
 *
 * <p>Labels are int32; their offsets count ints, float offsets count floats. Stateless and thread-safe.
 */
public final class Index {

    private Index() {
    }

    /**
     * out[r, j] = 1 if labels[r] == j else 0, for out [rows, classes], which is overwritten. A label outside
     * [0, classes) gives an all-zero row; the runtime validates labels before, so nothing is thrown for it.
     */
    public static void oneHot(int rows, int classes, MemorySegment labels, long labelsOff, MemorySegment out,
            long outOff) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        WindowGeometry.requirePositive("classes", classes);
        out.asSlice(outOff * Float.BYTES, (long) rows * classes * Float.BYTES).fill((byte) 0);
        for (int r = 0; r < rows; r++) {
            int label = labels.getAtIndex(JAVA_INT_UNALIGNED, labelsOff + r);
            if (label >= 0 && label < classes) {
                out.setAtIndex(JAVA_FLOAT_UNALIGNED, outOff + (long) r * classes + label, 1f);
            }
        }
    }

    /**
     * Writes the causal attention mask [n, n]: 0 where column ≤ row (a position may attend to itself and earlier
     * ones), −∞ above the diagonal, so that softmax gives those positions zero weight.
     */
    public static void causalMask(int n, MemorySegment out, long outOff) {
        if (n < 0) throw new IllegalArgumentException("mask size must be ≥ 0, got " + n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out.setAtIndex(JAVA_FLOAT_UNALIGNED, outOff + (long) i * n + j, j <= i ? 0f : Float.NEGATIVE_INFINITY);
            }
        }
    }
}

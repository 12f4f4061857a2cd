package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Shape;
import java.util.Locale;

/** The sizes nnc can hold, checked where the frontend declares inputs and parameters so a user sees where. */
final class TensorLimits {

    /** The most elements a tensor may have: kernels index them with ints, and weights load into Java arrays. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    private TensorLimits() {}

    /** Why {@code what} (of shape {@code s}) is too big at batch {@code batch}, or null when it fits. */
    static String tooBig(String what, Shape s, int batch) {
        long n = elements(s, batch);
        if (n <= MAX_ELEMENTS) return null;
        return what + " has " + String.format(Locale.ROOT, "%,d", n) + " elements" + (s.hasBatch() ? " at the maximum batch " + batch : "")
                + "; a tensor may have at most " + String.format(Locale.ROOT, "%,d", MAX_ELEMENTS);
    }

    /** {@code s}'s element count at batch {@code batch}, saturating at {@code Long.MAX_VALUE} instead of overflowing. */
    static long elements(Shape s, int batch) {
        long n = 1;
        for (Dim d : s.dims()) {
            long size = d.at(batch);
            if (size != 0 && n > Long.MAX_VALUE / size) return Long.MAX_VALUE;
            n *= size;
        }
        return n;
    }
}

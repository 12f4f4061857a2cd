package dev.nnc.kernels;

/** Output-size arithmetic and argument checks shared by the sliding-window kernels (conv, pooling). */
public final class WindowGeometry {

    private WindowGeometry() {
    }

    /** Floor-mode output extent: (in + 2·pad − kernel) / stride + 1; rejects windows that do not fit. */
    public static int outputSize(String axis, int in, int kernel, int stride, int pad) {
        if (in < 1 || kernel < 1 || stride < 1 || pad < 0) {
            throw new IllegalArgumentException(axis + ": need in, kernel, stride >= 1 and pad >= 0, got in="
                    + in + " kernel=" + kernel + " stride=" + stride + " pad=" + pad);
        }
        int span = in + 2 * pad - kernel;
        if (span < 0) {
            throw new IllegalArgumentException(axis + ": kernel " + kernel + " larger than padded input "
                    + (in + 2 * pad));
        }
        return span / stride + 1;
    }

    static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }
}

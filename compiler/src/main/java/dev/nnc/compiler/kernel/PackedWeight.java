package dev.nnc.compiler.kernel;

import java.util.Objects;

/**
 * A copy of parameter {@code param}, seen as the k×n right operand of a GEMM ({@code transposed}: stored n×k, as a
 * PyTorch {@code Linear.weight}), laid out in the GEMM's panel format ({@code Gemm.packB}) at float {@code floatOffset}
 * of the weights segment an entry point runs with, after the parameters themselves. The loader makes the copy.
 */
public record PackedWeight(String param, boolean transposed, int k, int n, long floatOffset) {
    public PackedWeight {
        Objects.requireNonNull(param, "param");
        if (k < 1 || n < 1 || floatOffset < 0) {
            throw new IllegalArgumentException("bad packed weight " + param + ": k=" + k + " n=" + n + " offset=" + floatOffset);
        }
    }

    /** Floats the copy takes. */
    public long floats() {
        return dev.nnc.kernels.Gemm.packedBFloats(k, n);
    }
}

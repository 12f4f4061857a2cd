package dev.nnc.compiler.train;

import java.util.Arrays;
import java.util.Objects;

/**
 * An n-d array as a data file stores it, before it is converted to a model input: axis 0 counts examples.
 * {@link #origin()} names the file (and the array inside it) for error messages.
 */
public sealed interface RawArray {

    /** Where the array came from, e.g. {@code data/train-images-idx3-ubyte.gz} or {@code mnist.npz:x}. */
    String origin();

    /** The stored shape; axis 0 is the example axis. */
    long[] shape();

    /** The number of examples: the length of axis 0 (1 for a rank-0 array). */
    default int examples() {
        long[] shape = shape();
        return shape.length == 0 ? 1 : (int) shape[0];
    }

    /** The shape of one example: every axis but the first. */
    default long[] exampleShape() {
        long[] shape = shape();
        return shape.length == 0 ? new long[0] : Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** Unsigned 8-bit values (pixels), scaled to [0, 1] when they become f32 features. */
    record UnsignedBytes(String origin, long[] shape, byte[] data) implements RawArray {
        public UnsignedBytes {
            shape = checked(origin, shape, data.length);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** Floating-point values, used as they are. */
    record Floats(String origin, long[] shape, float[] data) implements RawArray {
        public Floats {
            shape = checked(origin, shape, data.length);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** Integer values (labels, or integer features used as floats). */
    record Integers(String origin, long[] shape, long[] data) implements RawArray {
        public Integers {
            shape = checked(origin, shape, data.length);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private static long[] checked(String origin, long[] shape, int length) {
        Objects.requireNonNull(origin, "origin");
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException(origin + ": negative dim in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, dim);
        }
        if (count != length) {
            throw new IllegalArgumentException(origin + ": shape " + Arrays.toString(shape) + " needs " + count + " values, got " + length);
        }
        return shape.clone();
    }
}

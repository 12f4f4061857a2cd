package dev.nnc.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * An n-d array of {@link DType#F32} or {@link DType#I32} elements in row-major (C) order, owned by the caller.
 *
 * <p>The factories copy their array, and no method writes to the elements, so a tensor is immutable and safe to share
 * between threads. It is backed by a heap {@link MemorySegment}; {@link #segment()} is a read-only view of it.
 */
public final class Tensor {

    private final DType dtype;
    private final long[] shape;
    private final MemorySegment segment;

    private Tensor(DType dtype, long[] shape, MemorySegment segment) {
        this.dtype = dtype;
        this.shape = shape;
        this.segment = segment.asReadOnly();
    }

    /** An f32 tensor holding a copy of {@code data}; IllegalArgumentException if its length is not the product of {@code shape}. */
    public static Tensor of(float[] data, long... shape) {
        long[] dims = checkedShape(data.length, shape);
        return new Tensor(DType.F32, dims, MemorySegment.ofArray(data.clone()));
    }

    /** An i32 tensor holding a copy of {@code data}; IllegalArgumentException if its length is not the product of {@code shape}. */
    public static Tensor ofInts(int[] data, long... shape) {
        long[] dims = checkedShape(data.length, shape);
        return new Tensor(DType.I32, dims, MemorySegment.ofArray(data.clone()));
    }

    /** A tensor holding a copy of the first {@code product(shape)} elements of {@code source} (native byte order). */
    public static Tensor copyOf(DType dtype, MemorySegment source, long... shape) {
        long count = elementCount(shape);
        if (count > Integer.MAX_VALUE || count * dtype.byteSize() > source.byteSize()) {
            throw new IllegalArgumentException("cannot copy " + count + " " + dtype.dslName() + " elements from a segment of " + source.byteSize() + " bytes");
        }
        int n = (int) count;
        return switch (dtype) {
            case F32 -> {
                float[] data = new float[n];
                MemorySegment.copy(source, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, data, 0, n);
                yield new Tensor(dtype, shape.clone(), MemorySegment.ofArray(data));
            }
            case I32 -> {
                int[] data = new int[n];
                MemorySegment.copy(source, ValueLayout.JAVA_INT_UNALIGNED, 0, data, 0, n);
                yield new Tensor(dtype, shape.clone(), MemorySegment.ofArray(data));
            }
        };
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** The number of axes. */
    public int rank() {
        return shape.length;
    }

    /** The number of elements: the product of the shape (1 for a scalar). */
    public long size() {
        return elementCount(shape);
    }

    /** A copy of the elements; IllegalStateException if this is not an f32 tensor. */
    public float[] toFloatArray() {
        requireType(DType.F32, "toFloatArray");
        return segment.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** A copy of the elements; IllegalStateException if this is not an i32 tensor. */
    public int[] toIntArray() {
        requireType(DType.I32, "toIntArray");
        return segment.toArray(ValueLayout.JAVA_INT);
    }

    /** A read-only view of the elements in native byte order. */
    public MemorySegment segment() {
        return segment;
    }

    /** The f32 element at {@code index} (one coordinate per axis). */
    public float getFloat(long... index) {
        requireType(DType.F32, "getFloat");
        return segment.getAtIndex(ValueLayout.JAVA_FLOAT, flatIndex(index));
    }

    /** The i32 element at {@code index} (one coordinate per axis). */
    public int getInt(long... index) {
        requireType(DType.I32, "getInt");
        return segment.getAtIndex(ValueLayout.JAVA_INT, flatIndex(index));
    }

    /** Whether {@code spec} describes this tensor's dtype and shape, with its batch dim (if any) equal to {@code batch}. */
    boolean matches(TensorSpec spec, long batch) {
        return dtype == spec.dtype() && Arrays.equals(shape, spec.shapeAt(batch));
    }

    /** E.g. {@code f32[2, 10]}. */
    String typeString() {
        StringBuilder sb = new StringBuilder(dtype.dslName()).append('[');
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return sb.append(']').toString();
    }

    /** E.g. {@code Tensor f32[2, 10]}. */
    @Override
    public String toString() {
        return "Tensor " + typeString();
    }

    private long flatIndex(long[] index) {
        Objects.requireNonNull(index, "index");
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index has " + index.length + " coordinates, " + this + " has rank " + shape.length);
        }
        long flat = 0;
        for (int axis = 0; axis < shape.length; axis++) {
            if (index[axis] < 0 || index[axis] >= shape[axis]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " is outside " + this + " at axis " + axis);
            }
            flat = flat * shape[axis] + index[axis];
        }
        return flat;
    }

    private void requireType(DType expected, String method) {
        if (dtype != expected) {
            throw new IllegalStateException(method + " needs a " + expected.dslName() + " tensor, this is " + this);
        }
    }

    private static long[] checkedShape(int length, long[] shape) {
        Objects.requireNonNull(shape, "shape");
        long[] dims = shape.clone();
        long count = elementCount(dims);
        if (count != length) {
            throw new IllegalArgumentException("data has " + length + " elements, shape " + Arrays.toString(dims) + " needs " + count);
        }
        return dims;
    }

    private static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dim");
            }
            if (dim != 0 && count > Long.MAX_VALUE / dim) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^63 - 1 elements");
            }
            count *= dim;
        }
        return count;
    }
}

package dev.nnc.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The name, element type and shape of a tensor; a dim of {@link #BATCH} ({@code -1}) is the symbolic batch dim {@code B},
 * which may only be axis 0.
 *
 * <p>The shape array is copied on the way in and on the way out, so a spec is immutable. JSON form:
 * {@code {"name":"x","dtype":"f32","shape":["B",784]}}.
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

    /** The shape entry that stands for the symbolic batch dim {@code B}. */
    public static final long BATCH = -1;

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        shape = shape.clone();
        for (int axis = 0; axis < shape.length; axis++) {
            long dim = shape[axis];
            if (dim == BATCH && axis != 0) {
                throw new IllegalArgumentException("tensor " + name + ": the batch dim B may only be axis 0, found at axis " + axis);
            }
            if (dim < 0 && dim != BATCH) {
                throw new IllegalArgumentException("tensor " + name + ": dim " + dim + " at axis " + axis + " is negative");
            }
        }
        if (rowSizeOf(shape) > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("tensor " + name + ": a row of shape " + Arrays.toString(shape) + " has more than 2^63 - 1 bytes");
        }
    }

    /** A spec for the given shape, written as varargs. */
    public static TensorSpec of(String name, DType dtype, long... shape) {
        return new TensorSpec(name, dtype, shape);
    }

    /** The position of the spec named {@code name} in {@code specs}, or −1 if there is none. */
    public static int indexOf(List<TensorSpec> specs, String name) {
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** A copy of the shape; {@link #BATCH} marks the batch dim. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of axes. */
    public int rank() {
        return shape.length;
    }

    /** Whether axis 0 is the symbolic batch dim {@code B}. */
    public boolean isBatched() {
        return shape.length > 0 && shape[0] == BATCH;
    }

    /** Elements per batch row: the product of every dim except {@code B} (the product of all dims if not batched). */
    public long rowElements() {
        return rowSizeOf(shape);
    }

    /** Elements at batch size {@code batch} ({@code batch} is ignored when the spec has no batch dim). */
    public long elementCount(long batch) {
        return isBatched() ? Math.multiplyExact(batch, rowElements()) : rowElements();
    }

    /** Bytes at batch size {@code batch}. */
    public long byteSize(long batch) {
        return Math.multiplyExact(elementCount(batch), (long) dtype.byteSize());
    }

    /** The concrete shape at batch size {@code batch} ({@code B} replaced by {@code batch}). */
    public long[] shapeAt(long batch) {
        long[] concrete = shape.clone();
        if (isBatched()) {
            concrete[0] = batch;
        }
        return concrete;
    }

    /** The JSON form, ready for {@link Json#write(Object)}. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("dtype", dtype.dslName());
        List<Object> dims = new ArrayList<>();
        for (long dim : shape) {
            dims.add(dim == BATCH ? "B" : (Object) dim);
        }
        json.put("shape", dims);
        return json;
    }

    /** Reads the JSON form; IllegalArgumentException saying which field is missing or ill-typed. */
    public static TensorSpec fromJson(Object json) {
        if (!(json instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("tensor spec must be a JSON object, got " + Json.typeName(json));
        }
        if (!(map.get("name") instanceof String name)) {
            throw new IllegalArgumentException("tensor spec needs a string field \"name\", got " + Json.typeName(map.get("name")));
        }
        if (!(map.get("dtype") instanceof String dtype)) {
            throw new IllegalArgumentException("tensor " + name + " needs a string field \"dtype\", got " + Json.typeName(map.get("dtype")));
        }
        if (!(map.get("shape") instanceof List<?> dims)) {
            throw new IllegalArgumentException("tensor " + name + " needs an array field \"shape\", got " + Json.typeName(map.get("shape")));
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            Object dim = dims.get(i);
            if ("B".equals(dim)) {
                shape[i] = BATCH;
            } else if (dim instanceof Long value && value >= 0) {
                shape[i] = value;
            } else {
                throw new IllegalArgumentException("tensor " + name + ": shape entry " + i + " must be \"B\" or a non-negative integer, got " + dim);
            }
        }
        return new TensorSpec(name, DType.fromDslName(dtype), shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec other && name.equals(other.name) && dtype == other.dtype && Arrays.equals(shape, other.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    /** The type without the name, e.g. {@code f32[B, 784]}. */
    public String typeString() {
        StringBuilder sb = new StringBuilder(dtype.dslName()).append('[');
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i] == BATCH ? "B" : Long.toString(shape[i]));
        }
        return sb.append(']').toString();
    }

    /** E.g. {@code x: f32[B, 784]}. */
    @Override
    public String toString() {
        return name + ": " + typeString();
    }

    private static long rowSizeOf(long[] shape) {
        long size = 1;
        for (long dim : shape) {
            if (dim != BATCH) {
                if (dim != 0 && size > Long.MAX_VALUE / dim) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^63 - 1 elements per row");
                }
                size *= dim;
            }
        }
        return size;
    }
}

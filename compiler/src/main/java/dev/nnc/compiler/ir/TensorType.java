package dev.nnc.compiler.ir;

import dev.nnc.runtime.DType;
import java.util.Objects;

/** The static type of a value: element type and shape. Prints as {@code f32[B, 784]}. */
public record TensorType(DType dtype, Shape shape) {

    public TensorType {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
    }

    public static TensorType f32(Shape shape) {
        return new TensorType(DType.F32, shape);
    }

    public int rank() {
        return shape.rank();
    }

    @Override
    public String toString() {
        return dtype.name().toLowerCase(java.util.Locale.ROOT) + shape;
    }
}

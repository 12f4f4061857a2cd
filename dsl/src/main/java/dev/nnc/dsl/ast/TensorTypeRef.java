package dev.nnc.dsl.ast;

import java.util.List;
import java.util.Objects;

/** {@code dtype[d0, d1, ...]} as written; the checker validates the dtype name and the dims. */
public record TensorTypeRef(String dtype, List<DimRef> dims, Span span) implements TypeRef {

    public TensorTypeRef {
        Objects.requireNonNull(dtype, "dtype");
        dims = List.copyOf(dims);
        Objects.requireNonNull(span, "span");
        if (dims.isEmpty()) {
            throw new IllegalArgumentException("a tensor type has at least one dim");
        }
    }
}

package dev.nnc.dsl.ast;

/** A type as written: a tensor type such as {@code f32[B, 784]} or a scalar type such as {@code int}. */
public sealed interface TypeRef permits TensorTypeRef, ScalarTypeRef {

    /** Where the type is written. */
    Span span();
}

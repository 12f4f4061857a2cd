package dev.nnc.dsl;

import dev.nnc.dsl.ast.ScalarTypeRef;
import dev.nnc.dsl.ast.TensorTypeRef;
import dev.nnc.dsl.ast.TypeRef;
import java.util.Locale;
import java.util.Optional;

/** What kind of value a parameter takes: a tensor or a compile-time scalar. */
public enum ArgKind {
    TENSOR, INT, FLOAT, BOOL, STRING;

    /** The kind's name as written in signatures: {@code tensor}, {@code int}, ... */
    public String typeName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind with an article, for messages: "a tensor", "an int". */
    public String withArticle() {
        return (this == INT ? "an " : "a ") + typeName();
    }

    /** True when a value of kind {@code actual} may be passed where this kind is expected (an int is a float). */
    public boolean accepts(ArgKind actual) {
        return this == actual || (this == FLOAT && actual == INT);
    }

    /** The kind a declared type stands for; empty for an unknown scalar type name. Untyped (null) means a tensor. */
    public static Optional<ArgKind> of(TypeRef type) {
        return switch (type) {
            case null -> Optional.of(TENSOR);
            case TensorTypeRef tensor -> Optional.of(TENSOR);
            case ScalarTypeRef scalar -> switch (scalar.name()) {
                case "int" -> Optional.of(INT);
                case "float" -> Optional.of(FLOAT);
                case "bool" -> Optional.of(BOOL);
                default -> Optional.empty();
            };
        };
    }
}

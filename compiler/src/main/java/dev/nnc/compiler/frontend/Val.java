package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Value;

/** What a DSL expression evaluates to while the frontend builds the graph. */
sealed interface Val {

    /** A tensor in the graph under construction. */
    record Tensor(Value value) implements Val {}

    /** A compile-time integer (literals, dims bound by a block's parameter types, int block arguments). */
    record Int(long value) implements Val {}

    /** A compile-time float. */
    record Real(double value) implements Val {}

    record Bool(boolean value) implements Val {}

    record Str(String value) implements Val {}

    /** The symbolic batch dimension, usable only as a {@code reshape} dimension. */
    record Batch(Dim dim) implements Val {}

    /** {@code params} in a loss: every weight of the model, for {@code l1(params)} and {@code l2(params)}. */
    record Weights() implements Val {}

    /** The result of an expression that already produced a diagnostic; it silences follow-on errors. */
    record Poison() implements Val {}

    /** How the value is described in a diagnostic. */
    default String describe() {
        return switch (this) {
            case Tensor t -> t.value().type().toString();
            case Int i -> "the int " + i.value();
            case Real r -> "the float " + r.value();
            case Bool b -> "the bool " + b.value();
            case Str s -> "the string \"" + s.value() + "\"";
            case Batch b -> "the batch dimension " + b.dim();
            case Weights w -> "the model's parameters";
            case Poison p -> "an erroneous value";
        };
    }
}

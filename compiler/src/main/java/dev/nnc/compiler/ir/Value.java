package dev.nnc.compiler.ir;

import java.util.Objects;

/**
 * A tensor value in a graph: an input, a parameter or the result of a node. Names are unique within a graph
 * and print as {@code %name}.
 */
public record Value(String name, TensorType type) {

    public Value {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (name.isEmpty()) throw new IllegalArgumentException("empty value name");
    }

    public Shape shape() {
        return type.shape();
    }

    @Override
    public String toString() {
        return "%" + name;
    }
}

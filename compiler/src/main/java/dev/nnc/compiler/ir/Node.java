package dev.nnc.compiler.ir;

import java.util.Objects;

/** One op and the value it defines. */
public record Node(Value out, Op op) {
    public Node {
        Objects.requireNonNull(out);
        Objects.requireNonNull(op);
    }
}

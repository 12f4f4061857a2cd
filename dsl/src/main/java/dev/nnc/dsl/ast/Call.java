package dev.nnc.dsl.ast;

import java.util.List;
import java.util.Objects;

/**
 * A call of a layer, op or block. A pipeline {@code a |> f(b)} becomes {@code Call("f", [a, b],
 * piped=true)}; {@code a |> f} becomes {@code Call("f", [a], piped=true)}.
 */
public record Call(String callee, Span calleeSpan, List<Arg> args, boolean piped, Span span) implements Expr {

    public Call {
        Objects.requireNonNull(callee, "callee");
        Objects.requireNonNull(calleeSpan, "calleeSpan");
        args = List.copyOf(args);
        Objects.requireNonNull(span, "span");
        if (piped && (args.isEmpty() || args.getFirst().name() != null)) {
            throw new IllegalArgumentException("a piped call starts with its positional input");
        }
    }
}

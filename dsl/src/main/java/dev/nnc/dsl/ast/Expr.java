package dev.nnc.dsl.ast;

/** An expression; a pipeline {@code a |> f(b)} is already rewritten to the call {@code f(a, b)}. */
public sealed interface Expr permits Name, IntLit, FloatLit, BoolLit, StrLit, Call, Binary, Neg {

    /** Where the expression is written. */
    Span span();
}

package dev.nnc.dsl.ast;

/** A statement in a model or block body. */
public sealed interface Stmt permits Let, Return {

    /** The whole statement. */
    Span span();
}

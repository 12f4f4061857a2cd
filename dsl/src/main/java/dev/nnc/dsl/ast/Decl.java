package dev.nnc.dsl.ast;

/** A top-level declaration: a model, a reusable block, or the training settings of a model. */
public sealed interface Decl permits ModelDecl, BlockDecl, TrainDecl {

    /** The declared name (for {@code train}, the model it trains). */
    String name();

    /** Where that name is written. */
    Span nameSpan();

    /** The whole declaration. */
    Span span();
}

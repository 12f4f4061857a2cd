package dev.nnc.compiler.ir;

/** An op whose operands do not fit together (shapes, dtypes, ranks). The frontend maps it to a DSL position. */
public final class TypeError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TypeError(String message) {
        super(message);
    }
}

package dev.nnc.dsl.ast;

/** The arithmetic operators, with their source symbols. */
public enum BinOp {
    ADD("+"), SUB("-"), MUL("*"), DIV("/");

    private final String symbol;

    BinOp(String symbol) {
        this.symbol = symbol;
    }

    /** The operator as written in source. */
    public String symbol() {
        return symbol;
    }
}

package dev.nnc.dsl.ast;

import java.util.Objects;

/**
 * One dim of a tensor type: a literal size, or a symbol such as {@code B} with an optional
 * declared maximum ({@code B<=64}).
 *
 * @param symbol the symbol, or null for a literal size
 * @param size   the literal size; 0 for a symbol
 * @param max    the declared maximum of a symbol, or null
 */
public record DimRef(String symbol, long size, Long max, Span span) {

    public DimRef {
        Objects.requireNonNull(span, "span");
        if (symbol == null && max != null) {
            throw new IllegalArgumentException("only a symbolic dim has a maximum");
        }
        if (symbol != null && size != 0) {
            throw new IllegalArgumentException("a symbolic dim has no literal size");
        }
        if (size < 0) {
            throw new IllegalArgumentException("negative dim size " + size);
        }
    }

    /** True when the dim is a symbol rather than a literal size. */
    public boolean isSymbolic() {
        return symbol != null;
    }
}

package dev.nnc.dsl.ast;

/**
 * A region of source text: 1-based line and column of its first character, and the line and
 * column just past its last character (end exclusive). A tab counts as one column.
 *
 * <p>{@link #SYNTHETIC} (all zeros) marks nodes that were not written in the source, such as the
 * default values of built-in layer parameters.
 */
public record Span(int line, int col, int endLine, int endCol) {

    /** The span of a node that has no place in the source. */
    public static final Span SYNTHETIC = new Span(0, 0, 0, 0);

    public Span {
        boolean synthetic = line == 0 && col == 0 && endLine == 0 && endCol == 0;
        if (!synthetic) {
            if (line < 1 || col < 1) {
                throw new IllegalArgumentException("span starts before 1:1: " + line + ":" + col);
            }
            if (endLine < line || (endLine == line && endCol < col)) {
                throw new IllegalArgumentException(
                        "span ends before it starts: " + line + ":" + col + "-" + endLine + ":" + endCol);
            }
        }
    }

    /** True for {@link #SYNTHETIC}. */
    public boolean isSynthetic() {
        return line == 0;
    }

    @Override
    public String toString() {
        return line + ":" + col;
    }
}

package dev.nnc.dsl.ast;

import java.util.Objects;

/**
 * The text of one {@code .nn} file and the path it is reported under in diagnostics.
 *
 * @param path the name shown in {@code path:line:col} (need not exist on disk)
 * @param text the whole file
 */
public record SourceFile(String path, String text) {

    public SourceFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(text, "text");
    }

    /** Returns line {@code n} (1-based) without its line terminator, or "" when the file has no such line. */
    public String line(int n) {
        if (n < 1) {
            return "";
        }
        int start = 0;
        for (int current = 1; current < n; current++) {
            int newline = text.indexOf('\n', start);
            if (newline < 0) {
                return "";
            }
            start = newline + 1;
        }
        int end = text.indexOf('\n', start);
        String line = end < 0 ? text.substring(start) : text.substring(start, end);
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }
}

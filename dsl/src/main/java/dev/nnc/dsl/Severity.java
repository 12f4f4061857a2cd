package dev.nnc.dsl;

import java.util.Locale;

/** How serious a diagnostic is; only {@link #ERROR} stops compilation. */
public enum Severity {
    ERROR, WARNING, NOTE;

    /** The word printed in a formatted diagnostic: {@code error}, {@code warning}, {@code note}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}

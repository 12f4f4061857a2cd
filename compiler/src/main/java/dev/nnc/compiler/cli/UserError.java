package dev.nnc.compiler.cli;

/** A problem the user can fix (bad source, missing file, wrong input): printed as is, exit code 1. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}

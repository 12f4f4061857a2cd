package dev.nnc.compiler.kernel;

import dev.nnc.compiler.ir.Dim;

/**
 * A region of memory the kernels read and write: in the session's arena (activations, inputs, outputs,
 * scratch) or in the model's read-only weights. Its size in floats is {@code size} evaluated at a batch.
 */
public record Buffer(int id, String label, Memory memory, Dim size) {

    /** Where a buffer lives. */
    public enum Memory { ARENA, WEIGHTS }

    /** Floats at the maximum batch. */
    public long floatsAt(int batch) {
        return size.at(batch);
    }

    @Override
    public String toString() {
        return "@" + id + ":" + label;
    }
}

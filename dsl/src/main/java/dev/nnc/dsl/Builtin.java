package dev.nnc.dsl;

import java.util.Locale;
import java.util.Optional;

/**
 * Every built-in of the {@code .nn} language by name, one constant each, in catalog order: what ties the
 * {@link Builtins} catalog (the checker's view) to the compiler's lowering, which switches over this enum without a
 * default, so a built-in added here does not compile until it is lowered, and one added to the catalog alone fails
 * when {@link Builtins} loads.
 */
public enum Builtin {
    DENSE, CONV2D, MAXPOOL, AVGPOOL, FLATTEN, RESHAPE, MATMUL, RELU, SIGMOID, TANH, GELU, SOFTPLUS, SOFTMAX, DROPOUT,
    BATCHNORM, LAYERNORM, EMBEDDING, TRANSPOSE, SLICE, CONCAT, ATTENTION, CONV_TRANSPOSE2D, RNN, LSTM;

    /** The name {@code .nn} code calls it by, e.g. {@code conv_transpose2d}. */
    public String dslName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Its signature in the catalog. */
    public Signature signature() {
        return Builtins.lookup(dslName()).orElseThrow();
    }

    /** The built-in called {@code name}, if any. */
    public static Optional<Builtin> of(String name) {
        for (Builtin b : values()) {
            if (b.dslName().equals(name)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }
}

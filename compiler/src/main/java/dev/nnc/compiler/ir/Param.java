package dev.nnc.compiler.ir;

import java.util.Objects;

/**
 * A tensor that lives across runs: a trainable weight of the model, or an optimizer slot (momentum, Adam moments)
 * that only a training graph has. Each has the initializer used when no values are supplied.
 */
public record Param(Value value, Init init, Role role) {

    /** What a parameter is for. */
    public enum Role {
        /** A weight of the model: differentiated, saved, loaded from safetensors. */
        WEIGHT,
        /** State the model keeps but does not learn by gradient (batchnorm's running statistics): saved and loaded with the weights. */
        BUFFER,
        /** Optimizer state: updated by the training step, saved in checkpoints only. */
        SLOT
    }

    public Param {
        Objects.requireNonNull(value);
        Objects.requireNonNull(init);
        Objects.requireNonNull(role);
        if (value.shape().hasBatch()) throw new IllegalArgumentException("parameter " + value + " cannot have a batch dimension");
    }

    public Param(Value value, Init init) {
        this(value, init, Role.WEIGHT);
    }

    public String name() {
        return value.name();
    }

    /** A trainable weight: differentiated and updated by the optimizer. */
    public boolean isWeight() {
        return role == Role.WEIGHT;
    }

    /** Stored with the model in {@code weights.safetensors}: weights and buffers, not optimizer slots. */
    public boolean isStored() {
        return role != Role.SLOT;
    }
}

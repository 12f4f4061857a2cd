package dev.nnc.compiler.optim;

import java.util.Locale;
import java.util.Objects;

/**
 * An optimizer and its hyperparameters, with PyTorch's semantics: {@code SGD} (optionally with momentum and
 * Nesterov), {@code Adam} and {@code AdamW}; {@code weightDecay} is L2 added to the gradient for SGD and Adam
 * and decoupled decay for AdamW.
 */
public record OptimizerSpec(Kind kind, double lr, double momentum, boolean nesterov, double beta1, double beta2,
                            double eps, double weightDecay, ScheduleSpec schedule) {

    /** The optimizer families. */
    public enum Kind {
        SGD, ADAM, ADAMW;

        public String dslName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public OptimizerSpec {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(schedule);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive, got " + lr);
        if (momentum < 0 || momentum >= 1) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("nesterov needs a momentum > 0");
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw new IllegalArgumentException("betas must be in [0, 1)");
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
        if (weightDecay < 0) throw new IllegalArgumentException("weight_decay must be ≥ 0, got " + weightDecay);
    }

    /** Whether the optimizer needs Adam's bias corrections each step. */
    public boolean isAdam() {
        return kind != Kind.SGD;
    }
}

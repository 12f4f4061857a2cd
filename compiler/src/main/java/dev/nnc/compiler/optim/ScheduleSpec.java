package dev.nnc.compiler.optim;

import java.util.Locale;
import java.util.Objects;

/**
 * How the learning rate changes per epoch: constant, {@code step} (× gamma every {@code stepSize} epochs, as
 * PyTorch's StepLR) or {@code cosine} (PyTorch's CosineAnnealingLR closed form over {@code tMax} epochs).
 */
public record ScheduleSpec(Kind kind, int stepSize, double gamma, int tMax, double etaMin) {

    /** The schedule families. */
    public enum Kind {
        CONSTANT, STEP, COSINE;

        public String dslName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ScheduleSpec {
        Objects.requireNonNull(kind);
        if (kind == Kind.STEP && (stepSize < 1 || !(gamma > 0))) throw new IllegalArgumentException("step schedule needs every ≥ 1 and gamma > 0");
        if (kind == Kind.COSINE && (tMax < 1 || etaMin < 0)) throw new IllegalArgumentException("cosine schedule needs t_max ≥ 1 and eta_min ≥ 0");
    }

    public static ScheduleSpec constant() {
        return new ScheduleSpec(Kind.CONSTANT, 0, 1, 0, 0);
    }
}

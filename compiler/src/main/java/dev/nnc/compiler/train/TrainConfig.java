package dev.nnc.compiler.train;

import java.util.List;
import java.util.Objects;

/**
 * The settings of one training run, after CLI flags have overridden the DSL's {@code train} section.
 *
 * @param epochs      the last epoch to train (1-based count)
 * @param batch       examples per step (the last batch of an epoch may be smaller)
 * @param seed        drives the shuffling of every epoch
 * @param patience    stop after this many epochs without improving {@code stopMetric}; 0 never stops early
 * @param stopMetric  the validation figure that decides the best epoch and early stopping
 * @param modelInputs the names of the model's inputs (what {@link StepSession#infer} takes)
 * @param metrics     extra outputs of the training step ({@code metric name = …} in the train section) reported per epoch
 * @param scoring     how to score predictions against a class target, or null when the target is not i32 classes
 */
public record TrainConfig(int epochs, int batch, long seed, int patience, StopMetric stopMetric, List<String> modelInputs,
                          Scoring scoring, List<String> metrics) {

    /** What "better" means for the best epoch and early stopping. */
    public enum StopMetric {
        /** Lower validation loss is better. */
        VAL_LOSS("val_loss"),
        /** Higher validation accuracy is better. */
        VAL_ACCURACY("val_accuracy");

        private final String dslName;

        StopMetric(String dslName) {
            this.dslName = dslName;
        }

        /** The name in the DSL ({@code early_stop patience 3 on val_loss}). */
        public String dslName() {
            return dslName;
        }

        /** The metric named {@code name} in the DSL; IllegalArgumentException naming the known ones. */
        public static StopMetric fromDslName(String name) {
            for (StopMetric m : values()) {
                if (m.dslName.equals(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown early-stop metric '" + name + "' (known: val_loss, val_accuracy)");
        }

        /** Whether {@code candidate} improves on {@code best} ({@code NaN} best: anything finite improves). */
        public boolean improves(double candidate, double best) {
            if (Double.isNaN(candidate)) {
                return false;
            }
            if (Double.isNaN(best)) {
                return true;
            }
            return this == VAL_LOSS ? candidate < best : candidate > best;
        }

        /** This metric's value in {@code m}. */
        public double of(EpochMetrics m) {
            return this == VAL_LOSS ? m.validationLoss() : m.validationAccuracy();
        }
    }

    public TrainConfig {
        if (epochs < 1 || batch < 1 || patience < 0) {
            throw new IllegalArgumentException("epochs and batch must be positive and patience non-negative, got epochs "
                    + epochs + ", batch " + batch + ", patience " + patience);
        }
        Objects.requireNonNull(stopMetric, "stopMetric");
        modelInputs = List.copyOf(modelInputs);
        metrics = List.copyOf(metrics);
        if (patience > 0 && stopMetric == StopMetric.VAL_ACCURACY && scoring == null) {
            throw new IllegalArgumentException("val_accuracy needs an i32 class target");
        }
        if (patience > 0 && stopMetric == StopMetric.VAL_LOSS && (scoring == null || scoring.lossSource() == Scoring.LossSource.NONE)) {
            throw new IllegalArgumentException("val_loss is computed for a cross-entropy loss over logits or probs only; use val_accuracy");
        }
    }

    /** A configuration without extra metric outputs. */
    public TrainConfig(int epochs, int batch, long seed, int patience, StopMetric stopMetric, List<String> modelInputs, Scoring scoring) {
        this(epochs, batch, seed, patience, stopMetric, modelInputs, scoring, List.of());
    }
}

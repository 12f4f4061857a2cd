package dev.nnc.compiler.train;

import dev.nnc.runtime.DType;
import dev.nnc.runtime.Tensor;
import java.util.Objects;

/**
 * How predictions are scored against an i32 class target: which output to take the argmax of (during a training step
 * and at inference), and whether and how a validation loss is computed in Java.
 *
 * <p>Validation loss is computed only when the train section's loss is cross-entropy: the mean over examples of
 * {@code −log softmax(logits)[y]} (log-sum-exp in double) from an inference output named {@code logits}, or else
 * {@code −log max(probs[y], Float.MIN_NORMAL)} from {@code probs}. Any other loss reports accuracy only.
 *
 * @param target          the i32 class target, e.g. {@code y}
 * @param stepPrediction  the training step output whose argmax is the predicted class, e.g. {@code logits}
 * @param inferPrediction the inference output whose argmax is the predicted class, e.g. {@code probs}
 * @param lossSource      which inference output the validation loss comes from
 */
public record Scoring(String target, String stepPrediction, String inferPrediction, LossSource lossSource) {

    /** Where the validation loss comes from. */
    public enum LossSource {
        /** Not computed (the loss is not cross-entropy, or the model has neither output). */
        NONE,
        /** Cross-entropy from the inference output {@code logits}. */
        LOGITS,
        /** Cross-entropy from the inference output {@code probs}. */
        PROBS;

        /** The inference output read, or null for {@link #NONE}. */
        public String outputName() {
            return switch (this) {
                case NONE -> null;
                case LOGITS -> "logits";
                case PROBS -> "probs";
            };
        }
    }

    public Scoring {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(stepPrediction, "stepPrediction");
        Objects.requireNonNull(inferPrediction, "inferPrediction");
        Objects.requireNonNull(lossSource, "lossSource");
    }

    /** Correct argmax predictions among the rows of {@code prediction} (rows = the number of labels). */
    public static int correct(Tensor prediction, Tensor labels) {
        requireLabels(labels);
        int[] y = labels.toIntArray();
        float[] p = prediction.toFloatArray();
        int classes = classesPerRow(p.length, y.length);
        int correct = 0;
        for (int r = 0; r < y.length; r++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (p[r * classes + c] > p[r * classes + best]) {
                    best = c;
                }
            }
            correct += best == y[r] ? 1 : 0;
        }
        return correct;
    }

    /** The summed cross-entropy of {@code output} (logits or probabilities, per {@code source}) against {@code labels}. */
    public static double crossEntropySum(Tensor output, Tensor labels, LossSource source) {
        requireLabels(labels);
        int[] y = labels.toIntArray();
        float[] p = output.toFloatArray();
        int classes = classesPerRow(p.length, y.length);
        double sum = 0;
        for (int r = 0; r < y.length; r++) {
            int base = r * classes;
            switch (source) {
                case LOGITS -> {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) {
                        max = Math.max(max, p[base + c]);
                    }
                    double exp = 0;
                    for (int c = 0; c < classes; c++) {
                        exp += Math.exp(p[base + c] - max);
                    }
                    sum += max + Math.log(exp) - p[base + y[r]];
                }
                case PROBS -> sum -= Math.log(Math.max(p[base + y[r]], Float.MIN_NORMAL));
                case NONE -> throw new IllegalArgumentException("no loss source");
            }
        }
        return sum;
    }

    private static void requireLabels(Tensor labels) {
        if (labels.dtype() != DType.I32) {
            throw new IllegalArgumentException("class labels must be i32, got " + labels);
        }
    }

    private static int classesPerRow(int predictions, int rows) {
        if (rows == 0 || predictions % rows != 0) {
            throw new IllegalArgumentException(predictions + " predictions do not split into " + rows + " rows");
        }
        return predictions / rows;
    }
}

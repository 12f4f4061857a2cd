package dev.nnc.compiler.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where a run stands after a number of whole epochs; saved in the checkpoint's metadata so {@code --resume} continues
 * the same run (the shuffles depend on (seed, epoch) only).
 *
 * @param epochsDone     whole epochs trained
 * @param bestMetric     the best value of the stop metric so far ({@code NaN} if none)
 * @param bestEpoch      the 1-based epoch that reached it (0 if none)
 * @param epochsNoBetter epochs since the last improvement
 */
public record ResumeState(int epochsDone, double bestMetric, int bestEpoch, int epochsNoBetter) {

    /** A run that has not started. */
    public static final ResumeState FRESH = new ResumeState(0, Double.NaN, 0, 0);

    private static final String EPOCHS_DONE = "nnc_train_epochs_done";
    private static final String BEST_METRIC = "nnc_train_best_metric";
    private static final String BEST_EPOCH = "nnc_train_best_epoch";
    private static final String NO_BETTER = "nnc_train_epochs_no_better";

    public ResumeState {
        if (epochsDone < 0 || bestEpoch < 0 || epochsNoBetter < 0) {
            throw new IllegalArgumentException("resume counters must not be negative");
        }
    }

    /** The checkpoint metadata entries for this state. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(EPOCHS_DONE, Integer.toString(epochsDone));
        m.put(BEST_METRIC, Double.isNaN(bestMetric) ? "nan" : String.format(Locale.ROOT, "%.17g", bestMetric));
        m.put(BEST_EPOCH, Integer.toString(bestEpoch));
        m.put(NO_BETTER, Integer.toString(epochsNoBetter));
        return m;
    }

    /** Reads the entries {@link #toMetadata} wrote; IllegalArgumentException naming a missing or malformed entry. */
    public static ResumeState fromMetadata(Map<String, String> metadata) {
        String best = require(metadata, BEST_METRIC);
        try {
            return new ResumeState(Integer.parseInt(require(metadata, EPOCHS_DONE)), best.equals("nan") ? Double.NaN : Double.parseDouble(best),
                    Integer.parseInt(require(metadata, BEST_EPOCH)), Integer.parseInt(require(metadata, NO_BETTER)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint metadata has a malformed nnc_train_* entry: " + e.getMessage());
        }
    }

    private static String require(Map<String, String> metadata, String key) {
        String value = metadata.get(key);
        if (value == null) {
            throw new IllegalArgumentException("checkpoint metadata has no " + key + " (not written by nnc train)");
        }
        return value;
    }
}

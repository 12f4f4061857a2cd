package dev.nnc.compiler.train;

import java.util.Locale;

/**
 * What one epoch measured; {@code NaN} marks a figure that was not measured (no validation set, no accuracy for a
 * non-class target, no validation loss for a loss other than cross-entropy).
 *
 * @param epoch             1-based epoch number
 * @param step              optimizer steps taken so far
 * @param learningRate      the epoch's learning rate
 * @param trainLoss         mean training loss over the epoch's batches, weighted by batch size
 * @param trainAccuracy     fraction of training examples whose argmax prediction matched, during the epoch
 * @param validationLoss    mean cross-entropy on the validation set after the epoch
 * @param validationAccuracy accuracy on the validation set after the epoch
 * @param seconds           wall time of the epoch including validation
 * @param examplesPerSecond training examples per second
 */
public record EpochMetrics(int epoch, long step, double learningRate, double trainLoss, double trainAccuracy,
                           double validationLoss, double validationAccuracy, double seconds, double examplesPerSecond) {

    /** The CSV header of {@code OUT.metrics.csv}. */
    public static final String CSV_HEADER = "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,seconds,examples_per_s";

    public EpochMetrics {
        if (epoch < 1 || step < 0) {
            throw new IllegalArgumentException("epoch must be at least 1 and step non-negative, got " + epoch + ", " + step);
        }
    }

    /** One CSV row; unmeasured figures are empty fields. */
    public String csvRow() {
        return epoch + "," + step + "," + number(learningRate) + "," + number(trainLoss) + "," + number(trainAccuracy) + ","
                + number(validationLoss) + "," + number(validationAccuracy) + "," + String.format(Locale.ROOT, "%.3f", seconds) + ","
                + String.format(Locale.ROOT, "%.1f", examplesPerSecond);
    }

    /** Parses a {@link #csvRow()}; IllegalArgumentException if it is not one. */
    public static EpochMetrics parseCsvRow(String row) {
        String[] f = row.split(",", -1);
        if (f.length != 9) {
            throw new IllegalArgumentException("metrics row needs 9 fields, got " + f.length + ": " + row);
        }
        return new EpochMetrics(Integer.parseInt(f[0]), Long.parseLong(f[1]), parse(f[2]), parse(f[3]), parse(f[4]),
                parse(f[5]), parse(f[6]), parse(f[7]), parse(f[8]));
    }

    /** The summary line printed after the epoch, e.g. {@code epoch  3/10  loss 0.4123  acc 0.8512  ...  4870 ex/s}. */
    public String summary(int totalEpochs) {
        int width = Integer.toString(totalEpochs).length();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %" + (width + 1) + "d/%d  loss %.4f", epoch, totalEpochs, trainLoss));
        if (!Double.isNaN(trainAccuracy)) {
            sb.append(String.format(Locale.ROOT, "  acc %.4f", trainAccuracy));
        }
        if (!Double.isNaN(validationLoss)) {
            sb.append(String.format(Locale.ROOT, "  val_loss %.4f", validationLoss));
        }
        if (!Double.isNaN(validationAccuracy)) {
            sb.append(String.format(Locale.ROOT, "  val_acc %.4f", validationAccuracy));
        }
        return sb.append(String.format(Locale.ROOT, "  lr %.2e  %.1f s  %.0f ex/s", learningRate, seconds, examplesPerSecond)).toString();
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    private static double parse(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }
}

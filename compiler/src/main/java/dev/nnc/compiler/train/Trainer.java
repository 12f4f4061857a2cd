package dev.nnc.compiler.train;

import dev.nnc.runtime.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The training loop of {@code nnc train}: shuffled mini-batches per epoch, validation after each epoch, a checkpoint,
 * the metrics log and the curves after each epoch, early stopping, and the best epoch's weights in {@code OUT}.
 *
 * <p>Epoch {@code e} (0-based) visits the training examples in {@link Dataset#epochOrder}(n, seed, e) order, in
 * batches of {@code batch} (the last one smaller). With a validation set, {@code OUT} is rewritten whenever the stop
 * metric improves, so it holds the best epoch's weights; without one, after every epoch (the last epoch's weights).
 * Every file is written aside and renamed. Stateless: all run state lives in {@link #run}'s locals.
 */
public final class Trainer {

    /** How a run ended. */
    public record Result(List<EpochMetrics> epochs, int bestEpoch, boolean stoppedEarly) {
        public Result {
            epochs = List.copyOf(epochs);
        }
    }

    /** Loss and accuracy over a data set ({@code NaN} when not measured). */
    public record Evaluation(double loss, double accuracy) {
    }

    private Trainer() {
    }

    /**
     * Trains from {@code resume.epochsDone()} up to {@code config.epochs()}, printing one summary line per epoch to
     * {@code out}. {@code validation} may be null. {@code earlierRows} are the metrics of epochs before the resume point.
     */
    public static Result run(StepSession session, Dataset training, Dataset validation, TrainConfig config, ResumeState resume,
                             List<EpochMetrics> earlierRows, OutputFiles files, EpochProgress.Factory progress, PrintWriter out)
            throws TrainingException {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(training, "training");
        List<EpochMetrics> rows = new ArrayList<>(earlierRows);
        ResumeState state = resume;
        boolean stoppedEarly = false;
        for (int epoch = resume.epochsDone(); epoch < config.epochs(); epoch++) {
            long start = System.nanoTime();
            session.setEpoch(epoch);
            double lr = session.learningRate();
            Map<String, double[]> metrics = new LinkedHashMap<>();
            double[] trained = trainEpoch(session, training, config, epoch, progress, metrics);
            Evaluation val = validation == null ? new Evaluation(Double.NaN, Double.NaN)
                    : evaluate(session::infer, validation, config.batch(), config);
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochMetrics row = new EpochMetrics(epoch + 1, session.step(), lr, trained[0], trained[1], val.loss(), val.accuracy(),
                    seconds, training.size() / Math.max(seconds, 1e-9));
            rows.add(row);
            out.println(row.summary(config.epochs()));
            metrics.forEach((name, sums) -> out.printf(Locale.ROOT, "          %s %.4f (share below 0.5: %.4f)%n", name, sums[0] / sums[2], sums[1] / sums[2]));
            out.flush();
            boolean improved = validation == null || config.stopMetric().improves(config.stopMetric().of(row), state.bestMetric());
            state = improved
                    ? new ResumeState(epoch + 1, validation == null ? Double.NaN : config.stopMetric().of(row), epoch + 1, 0)
                    : new ResumeState(epoch + 1, state.bestMetric(), state.bestEpoch(), state.epochsNoBetter() + 1);
            try {
                if (improved) {
                    session.saveWeights(files.weights());
                }
                session.saveCheckpoint(files.checkpoint(), state.toMetadata());
                MetricsLog.write(files.metrics(), rows);
                CurvePlot.write(files.curves(), rows);
            } catch (IOException e) {
                throw new TrainingException("cannot write the training outputs next to " + files.weights() + ": " + e.getMessage());
            }
            if (validation != null && config.patience() > 0 && state.epochsNoBetter() >= config.patience()) {
                stoppedEarly = true;
                out.printf(Locale.ROOT, "early stop: %s has not improved for %d epochs%n", config.stopMetric().dslName(), config.patience());
                break;
            }
        }
        return new Result(rows, state.bestEpoch(), stoppedEarly);
    }

    /** Loss and accuracy of a model (run through {@code infer}) on {@code data}, in chunks of {@code batch}. */
    public static Evaluation evaluate(Function<Map<String, Tensor>, Map<String, Tensor>> infer, Dataset data, int batch, TrainConfig config) {
        Scoring scoring = config.scoring();
        if (scoring == null) {
            return new Evaluation(Double.NaN, Double.NaN);
        }
        int[] order = identity(data.size());
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.size(); from += batch) {
            int to = Math.min(data.size(), from + batch);
            Map<String, Tensor> rows = data.batch(order, from, to);
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            for (String name : config.modelInputs()) {
                inputs.put(name, rows.get(name));
            }
            Map<String, Tensor> outputs = infer.apply(inputs);
            Tensor labels = rows.get(scoring.target());
            correct += Scoring.correct(outputs.get(scoring.inferPrediction()), labels);
            if (scoring.lossSource() != Scoring.LossSource.NONE) {
                lossSum += Scoring.crossEntropySum(outputs.get(scoring.lossSource().outputName()), labels, scoring.lossSource());
            }
        }
        return new Evaluation(scoring.lossSource() == Scoring.LossSource.NONE ? Double.NaN : lossSum / data.size(),
                (double) correct / data.size());
    }

    /**
     * Trains one epoch; returns {mean loss, accuracy (NaN without a class target)}, and for each metric output
     * {sum, count below 0.5, count} in {@code metrics}.
     */
    private static double[] trainEpoch(StepSession session, Dataset training, TrainConfig config, int epoch, EpochProgress.Factory progress,
                                       Map<String, double[]> metrics) throws TrainingException {
        int[] order = Dataset.epochOrder(training.size(), config.seed(), epoch);
        Scoring scoring = config.scoring();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        try (EpochProgress bar = progress.open(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, config.epochs()), training.size())) {
            for (int from = 0; from < training.size(); from += config.batch()) {
                int to = Math.min(training.size(), from + config.batch());
                Map<String, Tensor> batch = training.batch(order, from, to);
                float loss = session.trainStep(batch);
                if (!Float.isFinite(loss)) {
                    throw new TrainingException(String.format(Locale.ROOT, "the loss became %s at epoch %d, step %d; "
                            + "try a lower learning rate", loss, epoch + 1, session.step()));
                }
                int n = to - from;
                lossSum += (double) loss * n;
                seen += n;
                if (scoring != null) {
                    correct += Scoring.correct(session.output(scoring.stepPrediction()), batch.get(scoring.target()));
                }
                for (String metric : config.metrics()) {
                    double[] sums = metrics.computeIfAbsent(metric, m -> new double[3]);
                    for (float v : session.output(metric).toFloatArray()) {
                        sums[0] += v;
                        sums[1] += v < 0.5f ? 1 : 0;
                        sums[2]++;
                    }
                }
                bar.advance(n, lossSum / seen, scoring == null ? Double.NaN : (double) correct / seen);
            }
        }
        return new double[] {lossSum / seen, scoring == null ? Double.NaN : (double) correct / seen};
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }
}

package dev.nnc.compiler.train;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows how far an epoch has come. {@link #bar} draws a progressbar on a terminal; {@link #none} draws nothing, for
 * logs (the per-epoch summary line on stdout is the log then). Used by one thread; {@link #close} ends the epoch.
 */
public sealed interface EpochProgress extends AutoCloseable {

    /** Opens the display of one epoch of {@code examples} examples. */
    interface Factory {
        EpochProgress open(String task, long examples);
    }

    /** Records {@code examples} more examples trained, with the running loss and accuracy ({@code NaN} if not measured). */
    void advance(long examples, double runningLoss, double runningAccuracy);

    @Override
    void close();

    /** No display. */
    static Factory none() {
        return (task, examples) -> new None();
    }

    /**
     * A progressbar on {@code terminal} with loss, accuracy, examples/s and ETA. The rendered length is fixed, so the
     * library never probes the terminal through jline; it redraws with carriage returns, which is why callers pick
     * {@link #none} when the stream is not a terminal.
     */
    static Factory bar(PrintStream terminal, int width) {
        return (task, examples) -> new Bar(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(examples)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" ex", 1)
                .showSpeed()
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(terminal, width))
                .clearDisplayOnFinish()
                .build());
    }

    /**
     * {@link #bar} when stderr is an interactive terminal and the environment is not CI, else {@link #none}. Java cannot
     * ask whether stderr alone is a terminal; an interactive {@link System#console()} (stdin and stdout on a
     * terminal) is the signal used.
     */
    static Factory forEnvironment() {
        String ci = System.getenv("CI");
        boolean terminal = System.console() != null && System.console().isTerminal();
        if (!terminal || (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false"))) {
            return none();
        }
        String columns = System.getenv("COLUMNS");
        int width = 100;
        if (columns != null && columns.matches("\\d{2,4}")) {
            width = Integer.parseInt(columns);
        }
        return bar(System.err, width);
    }

    /** Draws nothing. */
    record None() implements EpochProgress {
        @Override
        public void advance(long examples, double runningLoss, double runningAccuracy) {
        }

        @Override
        public void close() {
        }
    }

    /** A progressbar. */
    record Bar(ProgressBar bar) implements EpochProgress {
        @Override
        public void advance(long examples, double runningLoss, double runningAccuracy) {
            bar.stepBy(examples);
            bar.setExtraMessage(Double.isNaN(runningAccuracy)
                    ? String.format(Locale.ROOT, "loss %.4f", runningLoss)
                    : String.format(Locale.ROOT, "loss %.4f acc %.4f", runningLoss, runningAccuracy));
        }

        @Override
        public void close() {
            bar.close();
        }
    }
}

package dev.nnc.compiler.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes {@code OUT.metrics.csv}: a header, then one {@link EpochMetrics#csvRow()} per epoch. Stateless. */
public final class MetricsLog {

    private MetricsLog() {
    }

    /** Writes the header and {@code rows}, aside then renamed into place. */
    public static void write(Path file, List<EpochMetrics> rows) throws IOException {
        StringBuilder text = new StringBuilder(EpochMetrics.CSV_HEADER).append('\n');
        for (EpochMetrics row : rows) {
            text.append(row.csvRow()).append('\n');
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        OutputFiles.writeAtomically(file, out -> out.write(bytes));
    }

    /**
     * The rows of an earlier run with epoch ≤ {@code lastEpoch} (to continue the log on resume); empty if the file
     * does not exist. IOException naming the file if it is not a metrics log.
     */
    public static List<EpochMetrics> read(Path file, int lastEpoch) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.getFirst().equals(EpochMetrics.CSV_HEADER)) {
            throw new IOException(file + ": not an nnc metrics log (the first line must be " + EpochMetrics.CSV_HEADER + ")");
        }
        List<EpochMetrics> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            try {
                EpochMetrics row = EpochMetrics.parseCsvRow(line);
                if (row.epoch() <= lastEpoch) {
                    rows.add(row);
                }
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": bad metrics row: " + e.getMessage());
            }
        }
        return rows;
    }
}

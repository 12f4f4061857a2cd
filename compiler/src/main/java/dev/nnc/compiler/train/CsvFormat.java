package dev.nnc.compiler.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads a CSV data file: one example per row, the label in the first column and the features after it.
 *
 * <p>A first row with any non-numeric field is a header and skipped. Blank lines are ignored. Labels that are all
 * integers become {@link RawArray.Integers}, otherwise {@link RawArray.Floats}; features are always floats, used as
 * they are. Stateless.
 */
public final class CsvFormat {

    /** The label column and the feature columns of a CSV file, one entry per example. */
    public record Table(RawArray labels, RawArray features) {
        public Table {
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(features, "features");
        }
    }

    private CsvFormat() {
    }

    /** Reads {@code file}; DataException naming the file and the row for ragged rows or non-numeric values. */
    public static Table read(Path file) throws DataException {
        FloatRows rows = new FloatRows();
        int width = -1;
        int rowNumber = 0;
        boolean allIntegerLabels = true;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                rowNumber++;
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split(",", -1);
                if (width < 0 && rows.count == 0 && !allNumeric(fields)) {
                    continue;
                }
                if (width < 0) {
                    width = fields.length;
                    if (width < 2) {
                        throw new DataException(file + ": row " + rowNumber + " has " + width + " column; a CSV data file needs a label and at least one feature");
                    }
                }
                if (fields.length != width) {
                    throw new DataException(file + ": row " + rowNumber + " has " + fields.length + " columns, the first data row has " + width);
                }
                for (int col = 0; col < width; col++) {
                    String field = fields[col].strip();
                    double value;
                    try {
                        value = Double.parseDouble(field);
                    } catch (NumberFormatException e) {
                        throw new DataException(file + ": row " + rowNumber + ", column " + (col + 1) + ": '" + field + "' is not a number");
                    }
                    if (col == 0 && (value != Math.rint(value) || Double.isInfinite(value))) {
                        allIntegerLabels = false;
                    }
                    rows.add(value);
                }
            }
        } catch (CharacterCodingException e) {
            throw new DataException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
        if (width < 0) {
            throw new DataException(file + ": no data rows");
        }
        int n = rows.count / width;
        long[] labelData = new long[allIntegerLabels ? n : 0];
        float[] labelFloats = new float[allIntegerLabels ? 0 : n];
        float[] features = new float[n * (width - 1)];
        for (int r = 0; r < n; r++) {
            float label = rows.values[r * width];
            if (allIntegerLabels) {
                labelData[r] = (long) label;
            } else {
                labelFloats[r] = label;
            }
            for (int c = 1; c < width; c++) {
                features[r * (width - 1) + c - 1] = rows.values[r * width + c];
            }
        }
        String origin = file.toString();
        RawArray labels = allIntegerLabels
                ? new RawArray.Integers(origin, new long[] {n}, labelData)
                : new RawArray.Floats(origin, new long[] {n}, labelFloats);
        return new Table(labels, new RawArray.Floats(origin, new long[] {n, width - 1}, features));
    }

    private static boolean allNumeric(String[] fields) {
        for (String field : fields) {
            try {
                Double.parseDouble(field.strip());
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    /** A growable array of floats. */
    private static final class FloatRows {
        float[] values = new float[1024];
        int count;

        void add(double v) {
            if (count == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[count++] = (float) v;
        }
    }
}

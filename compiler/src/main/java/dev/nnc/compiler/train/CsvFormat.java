package dev.nnc.compiler.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads a CSV data file (RFC 4180, through Apache Commons CSV: quoted fields, a leading UTF-8 byte-order mark): one
 * example per row, the label in the first column and the features after it.
 *
 * <p>Only the first row may be a header, and it is one when none of its fields is a number (column names); every
 * other row must be all numbers, so a typo or a {@code nan} is an error naming its cell, never a row silently dropped. Numbers are decimal ({@code 3}, {@code -0.5},
 * {@code 1e-3}); NaN, infinities and values beyond float range are refused, since one would silently poison training.
 * Every error names {@code file:line:column}. Blank lines are ignored. Labels that are all integers become
 * {@link RawArray.Integers}, otherwise {@link RawArray.Floats}; features are floats. Stateless.
 */
public final class CsvFormat {

    /** A plain decimal number, as written by people, NumPy, pandas and spreadsheets. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static final CSVFormat DIALECT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).setTrim(true).get();

    /** The label column and the feature columns of a CSV file, one entry per example. */
    public record Table(RawArray labels, RawArray features) {
        public Table {
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(features, "features");
        }
    }

    private CsvFormat() {
    }

    /** Reads {@code file}; DataException naming {@code file:line:column} for ragged rows, bad quoting or values that are not finite numbers. */
    public static Table read(Path file) throws DataException {
        FloatRows rows = new FloatRows();
        int width = -1;
        boolean first = true;
        boolean allIntegerLabels = true;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser parser = DIALECT.parse(skipByteOrderMark(in))) {
            for (CSVRecord record : parser) {
                long line = parser.getCurrentLineNumber();
                boolean header = first && noNumbers(record);
                first = false;
                if (header) continue;
                if (record.size() == 1 && record.get(0).isEmpty()) continue;    // a line of spaces
                if (width < 0) {
                    width = record.size();
                    if (width < 2) {
                        throw new DataException(file + ":" + line + ": the row has " + width + " column; a CSV data file needs a label and at least one feature");
                    }
                }
                if (record.size() != width) {
                    throw new DataException(file + ":" + line + ": the row has " + record.size() + " columns, the first data row has " + width);
                }
                for (int col = 0; col < width; col++) {
                    double value = number(record.get(col), file + ":" + line + ":" + (col + 1));
                    if (col == 0 && value != Math.rint(value)) allIntegerLabels = false;
                    rows.add(value);
                }
            }
        } catch (CharacterCodingException e) {
            throw new DataException(file + ": not UTF-8 text");
        } catch (UncheckedIOException e) {
            throw new DataException(file + ": not valid CSV (" + e.getCause().getMessage() + ")");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
        if (width < 0) {
            throw new DataException(file + ": no data rows");
        }
        return table(file, rows, width, allIntegerLabels);
    }

    private static Table table(Path file, FloatRows rows, int width, boolean allIntegerLabels) {
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
            System.arraycopy(rows.values, r * width + 1, features, r * (width - 1), width - 1);
        }
        String origin = file.toString();
        RawArray labels = allIntegerLabels
                ? new RawArray.Integers(origin, new long[] {n}, labelData)
                : new RawArray.Floats(origin, new long[] {n}, labelFloats);
        return new Table(labels, new RawArray.Floats(origin, new long[] {n, width - 1}, features));
    }

    /** The value of {@code field}, a finite decimal number within float range; {@code where} is its file:line:column. */
    private static double number(String field, String where) throws DataException {
        if (!NUMBER.matcher(field).matches()) {
            String lower = field.toLowerCase(java.util.Locale.ROOT);
            String why = lower.contains("nan") || lower.contains("inf") ? " (NaN and infinities are refused: fix or drop the row)" : "";
            throw new DataException(where + ": '" + field + "' is not a number" + why);
        }
        double value = Double.parseDouble(field);
        if (Math.abs(value) > Float.MAX_VALUE) {
            throw new DataException(where + ": " + field + " is beyond the float range (±3.4e38)");
        }
        return value;
    }

    private static boolean noNumbers(CSVRecord record) {
        for (String field : record) {
            if (NUMBER.matcher(field).matches()) return false;
        }
        return true;
    }

    /** {@code in} past a leading U+FEFF, which spreadsheet exports put before the first field. */
    private static BufferedReader skipByteOrderMark(BufferedReader in) throws IOException {
        in.mark(1);
        if (in.read() != '\uFEFF') in.reset();
        return in;
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

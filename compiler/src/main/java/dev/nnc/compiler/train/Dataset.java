package dev.nnc.compiler.train;

import dev.nnc.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Examples for training or evaluation: one {@link Column} per batch input of the training step (model inputs, then
 * targets), all with the same number of examples. Immutable; safe to share between threads.
 *
 * @param source  what was loaded, for messages (a path)
 * @param columns the columns in the training step's input order
 */
public record Dataset(String source, List<Column> columns) {

    public Dataset {
        Objects.requireNonNull(source, "source");
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException(source + ": a data set needs at least one column");
        }
        int size = columns.getFirst().size();
        for (Column c : columns) {
            if (c.size() != size) {
                throw new IllegalArgumentException(source + ": column " + c.name() + " has " + c.size() + " examples, "
                        + columns.getFirst().name() + " has " + size);
            }
        }
    }

    /** The number of examples. */
    public int size() {
        return columns.getFirst().size();
    }

    /** The column named {@code name}; IllegalArgumentException if there is none. */
    public Column column(String name) {
        for (Column c : columns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException(source + " has no column " + name);
    }

    /** The examples {@code order[from..to)} as one batch: a tensor per column, keyed by column name. */
    public Map<String, Tensor> batch(int[] order, int from, int to) {
        if (from < 0 || to > order.length || from >= to) {
            throw new IllegalArgumentException("batch [" + from + ", " + to + ") is empty or outside an order of " + order.length);
        }
        Map<String, Tensor> batch = new LinkedHashMap<>();
        for (Column c : columns) {
            batch.put(c.name(), c.gather(order, from, to));
        }
        return batch;
    }

    /** The examples at {@code indices}, in that order. */
    public Dataset select(int[] indices, String newSource) {
        return new Dataset(newSource, columns.stream().map(c -> c.select(indices)).toList());
    }

    /**
     * Splits off a held-out part: a permutation drawn from {@code seed} decides which examples go to the second part,
     * which gets {@code round(fraction · size)} of them (at least 1 and leaving at least 1 for training).
     */
    public Split split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + fraction);
        }
        if (size() < 2) {
            throw new IllegalArgumentException(source + ": cannot hold out a validation part of " + size() + " example(s)");
        }
        int held = (int) Math.max(1, Math.min(size() - 1, Math.round(fraction * size())));
        int[] order = permutation(size(), new SplittableRandom(seed ^ 0x5DEECE66DL));
        int[] train = new int[size() - held];
        int[] validation = new int[held];
        System.arraycopy(order, 0, validation, 0, held);
        System.arraycopy(order, held, train, 0, train.length);
        Arrays.sort(train);
        Arrays.sort(validation);
        return new Split(select(train, source + " (training part)"), select(validation, source + " (validation part)"));
    }

    /** The two parts of {@link #split}. */
    public record Split(Dataset training, Dataset validation) {
        public Split {
            Objects.requireNonNull(training, "training");
            Objects.requireNonNull(validation, "validation");
        }
    }

    /**
     * The order in which epoch {@code epoch} visits {@code n} examples: a Fisher–Yates shuffle driven by (seed, epoch)
     * only, so resuming at an epoch reproduces the same order.
     */
    public static int[] epochOrder(int n, long seed, int epoch) {
        return permutation(n, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch));
    }

    private static int[] permutation(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}

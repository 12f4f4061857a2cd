package dev.nnc.compiler.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The dimensions of a tensor, outermost first. At most one dimension is symbolic, and only the leading one:
 * a smaller batch then uses a prefix of every buffer planned for the maximum batch.
 */
public record Shape(List<Dim> dims) {

    public Shape {
        dims = List.copyOf(dims);
        for (int i = 1; i < dims.size(); i++) {
            if (dims.get(i).batch()) {
                throw new IllegalArgumentException("the batch dimension B may only be the leading dimension, got " + show(dims));
            }
        }
    }

    /** A shape from sizes, where {@code -1} stands for the batch dimension {@code B}. */
    public static Shape of(long... sizes) {
        List<Dim> dims = new ArrayList<>(sizes.length);
        for (long s : sizes) dims.add(s == -1 ? Dim.batch(1) : Dim.of(s));
        return new Shape(dims);
    }

    public static Shape scalar() {
        return new Shape(List.of());
    }

    public int rank() {
        return dims.size();
    }

    public Dim dim(int axis) {
        return dims.get(axis);
    }

    /** The size of axis {@code axis}, which must be static. */
    public long size(int axis) {
        Dim d = dims.get(axis);
        if (d.batch()) throw new IllegalStateException("axis " + axis + " of " + this + " is symbolic");
        return d.factor();
    }

    public boolean hasBatch() {
        return !dims.isEmpty() && dims.getFirst().batch();
    }

    /** Number of elements at batch {@code b}. */
    public long numel(int b) {
        long n = 1;
        for (Dim d : dims) n *= d.at(b);
        return n;
    }

    /** Row-major strides (in elements) of each axis at batch {@code b}. */
    public long[] strides(int b) {
        long[] s = new long[dims.size()];
        long acc = 1;
        for (int i = dims.size() - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims.get(i).at(b);
        }
        return s;
    }

    /** Sizes at batch {@code b}. */
    public long[] sizes(int b) {
        return dims.stream().mapToLong(d -> d.at(b)).toArray();
    }

    /** Elements per unit of batch: numel(b) = perBatch() * b when the shape has a batch dim, else numel. */
    public long perBatch() {
        long n = 1;
        for (Dim d : dims) n *= d.factor();
        return n;
    }

    /** Sizes with {@code -1} for a batch dimension of factor 1 (the runtime's convention). */
    public long[] runtimeSizes() {
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            Dim d = dims.get(i);
            if (d.batch() && d.factor() != 1) throw new IllegalStateException("shape " + this + " has a scaled batch dimension");
            s[i] = d.batch() ? -1 : d.factor();
        }
        return s;
    }

    public Shape withDim(int axis, Dim d) {
        List<Dim> copy = new ArrayList<>(dims);
        copy.set(axis, d);
        return new Shape(copy);
    }

    @Override
    public String toString() {
        return show(dims);
    }

    private static String show(List<Dim> dims) {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    static String show(long[] sizes) {
        return Arrays.toString(sizes);
    }
}

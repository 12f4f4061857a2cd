package dev.nnc.compiler.train;

import dev.nnc.runtime.DType;
import dev.nnc.runtime.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * One named batch input of a data set (e.g. the images {@code x} or the labels {@code y}), every example already
 * shaped for the model: {@code values} holds the examples row after row, a {@code float[]} for f32 and an
 * {@code int[]} for i32 (usually class labels).
 *
 * @param name         the training input this column feeds, e.g. {@code x}
 * @param exampleShape the shape of one example, e.g. {@code [1, 28, 28]}; empty for scalar labels
 */
public record Column(String name, DType dtype, long[] exampleShape, Object values) {

    public Column {
        Objects.requireNonNull(name, "name");
        exampleShape = exampleShape.clone();
        int length = switch (dtype) {
            case F32 -> values instanceof float[] f ? f.length : -1;
            case I32 -> values instanceof int[] i ? i.length : -1;
        };
        if (length < 0) throw new IllegalArgumentException("column " + name + ": " + dtype + " values must be a " + (dtype == DType.F32 ? "float[]" : "int[]"));
        int row = exampleElements(exampleShape);
        if (row == 0 ? length != 0 : length % row != 0) {
            throw new IllegalArgumentException("column " + name + ": " + length + " values are not whole examples of " + row);
        }
    }

    /** f32 examples. */
    public static Column floats(String name, long[] exampleShape, float[] values) {
        return new Column(name, DType.F32, exampleShape, values);
    }

    /** i32 examples. */
    public static Column ints(String name, long[] exampleShape, int[] values) {
        return new Column(name, DType.I32, exampleShape, values);
    }

    @Override
    public long[] exampleShape() {
        return exampleShape.clone();
    }

    /** The values of an f32 column. */
    public float[] floats() {
        if (!(values instanceof float[] f)) throw new IllegalStateException("column " + name + " holds " + dtype + ", not f32");
        return f;
    }

    /** The values of an i32 column. */
    public int[] ints() {
        if (!(values instanceof int[] i)) throw new IllegalStateException("column " + name + " holds " + dtype + ", not i32");
        return i;
    }

    /** The number of examples. */
    public int size() {
        int row = exampleElements(exampleShape);
        return row == 0 ? 0 : java.lang.reflect.Array.getLength(values) / row;
    }

    /** The examples {@code order[from..to)} as one tensor of shape {@code [to - from, exampleShape...]}. */
    public Tensor gather(int[] order, int from, int to) {
        Object rows = rows(Arrays.copyOfRange(order, from, to));
        long[] shape = batchShape(to - from, exampleShape);
        return switch (dtype) {
            case F32 -> Tensor.of((float[]) rows, shape);
            case I32 -> Tensor.ofInts((int[]) rows, shape);
        };
    }

    /** The examples at {@code indices}, in that order, as a new column. */
    public Column select(int[] indices) {
        return new Column(name, dtype, exampleShape, rows(indices));
    }

    /** The examples at {@code indices} copied into a new array of this column's element type. */
    private Object rows(int[] indices) {
        int row = exampleElements(exampleShape);
        Object out = java.lang.reflect.Array.newInstance(values.getClass().getComponentType(), indices.length * row);
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(values, indices[i] * row, out, i * row, row);
        }
        return out;
    }

    /** Elements per example. */
    static int exampleElements(long[] exampleShape) {
        long n = 1;
        for (long d : exampleShape) {
            n = Math.multiplyExact(n, d);
        }
        return Math.toIntExact(n);
    }

    private static long[] batchShape(int batch, long[] exampleShape) {
        long[] shape = new long[exampleShape.length + 1];
        shape[0] = batch;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        return shape;
    }

    /** E.g. {@code [1, 28, 28]}. */
    static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }
}

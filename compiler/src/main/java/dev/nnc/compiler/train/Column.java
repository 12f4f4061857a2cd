package dev.nnc.compiler.train;

import dev.nnc.runtime.DType;
import dev.nnc.runtime.Tensor;
import java.util.Arrays;
import java.util.Objects;

/** One named batch input of a data set (e.g. the images {@code x} or the labels {@code y}), every example already shaped for the model. */
public sealed interface Column {

    /** The training input this column feeds, e.g. {@code x}. */
    String name();

    /** The shape of one example, e.g. {@code [1, 28, 28]}; empty for scalar labels. */
    long[] exampleShape();

    /** The number of examples. */
    int size();

    /** The element type the model takes. */
    DType dtype();

    /** The examples {@code order[from..to)} as one tensor of shape {@code [to - from, exampleShape...]}. */
    Tensor gather(int[] order, int from, int to);

    /** The examples at {@code indices}, in that order, as a new column. */
    Column select(int[] indices);

    /** Elements per example. */
    static int exampleElements(long[] exampleShape) {
        long n = 1;
        for (long d : exampleShape) {
            n = Math.multiplyExact(n, d);
        }
        return Math.toIntExact(n);
    }

    /** f32 examples, row after row. */
    record Floats(String name, long[] exampleShape, float[] values) implements Column {
        public Floats {
            Objects.requireNonNull(name, "name");
            exampleShape = exampleShape.clone();
            int row = exampleElements(exampleShape);
            if (row == 0 ? values.length != 0 : values.length % row != 0) {
                throw new IllegalArgumentException("column " + name + ": " + values.length + " values are not whole examples of " + row);
            }
        }

        @Override
        public long[] exampleShape() {
            return exampleShape.clone();
        }

        @Override
        public int size() {
            int row = exampleElements(exampleShape);
            return row == 0 ? 0 : values.length / row;
        }

        @Override
        public DType dtype() {
            return DType.F32;
        }

        @Override
        public Tensor gather(int[] order, int from, int to) {
            int row = exampleElements(exampleShape);
            float[] out = new float[(to - from) * row];
            for (int i = from; i < to; i++) {
                System.arraycopy(values, order[i] * row, out, (i - from) * row, row);
            }
            return Tensor.of(out, batchShape(to - from, exampleShape));
        }

        @Override
        public Column select(int[] indices) {
            int row = exampleElements(exampleShape);
            float[] out = new float[indices.length * row];
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(values, indices[i] * row, out, i * row, row);
            }
            return new Floats(name, exampleShape, out);
        }
    }

    /** i32 examples (usually class labels), row after row. */
    record Ints(String name, long[] exampleShape, int[] values) implements Column {
        public Ints {
            Objects.requireNonNull(name, "name");
            exampleShape = exampleShape.clone();
            int row = exampleElements(exampleShape);
            if (row == 0 ? values.length != 0 : values.length % row != 0) {
                throw new IllegalArgumentException("column " + name + ": " + values.length + " values are not whole examples of " + row);
            }
        }

        @Override
        public long[] exampleShape() {
            return exampleShape.clone();
        }

        @Override
        public int size() {
            int row = exampleElements(exampleShape);
            return row == 0 ? 0 : values.length / row;
        }

        @Override
        public DType dtype() {
            return DType.I32;
        }

        @Override
        public Tensor gather(int[] order, int from, int to) {
            int row = exampleElements(exampleShape);
            int[] out = new int[(to - from) * row];
            for (int i = from; i < to; i++) {
                System.arraycopy(values, order[i] * row, out, (i - from) * row, row);
            }
            return Tensor.ofInts(out, batchShape(to - from, exampleShape));
        }

        @Override
        public Column select(int[] indices) {
            int row = exampleElements(exampleShape);
            int[] out = new int[indices.length * row];
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(values, indices[i] * row, out, i * row, row);
            }
            return new Ints(name, exampleShape, out);
        }
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

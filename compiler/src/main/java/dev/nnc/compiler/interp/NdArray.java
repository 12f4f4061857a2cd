package dev.nnc.compiler.interp;

import java.util.Arrays;

/** A dense row-major array of doubles with a concrete shape: the reference interpreter's tensor. */
public record NdArray(long[] shape, double[] data) {

    public NdArray {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " elements, got " + data.length);
    }

    public static NdArray zeros(long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return new NdArray(shape, new double[Math.toIntExact(n)]);
    }

    public static NdArray ofFloats(float[] values, long... shape) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) d[i] = values[i];
        return new NdArray(shape, d);
    }

    public float[] toFloats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return f;
    }

    public int rank() {
        return shape.length;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray a && Arrays.equals(shape, a.shape) && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NdArray" + Arrays.toString(shape);
    }
}

package dev.nnc.bench;

import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;

import java.util.SplittableRandom;

/** Makes the benchmarks' input tensors: the same numbers in every run and every fork. Uses only the runtime. */
public final class DeterministicInputs {

    /** The seed of every input. */
    public static final long SEED = 42;

    private DeterministicInputs() {
    }

    /** An f32 tensor of shape {@code spec} at {@code batch}, uniform in [0, 1) from {@link #SEED}. */
    public static Tensor uniform(TensorSpec spec, int batch) {
        SplittableRandom random = new SplittableRandom(SEED);
        float[] values = new float[Math.toIntExact(spec.elementCount(batch))];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble();
        }
        return Tensor.of(values, spec.shapeAt(batch));
    }

    /** An i32 tensor of shape {@code spec} at {@code batch}: class labels uniform in [0, classes) from {@link #SEED}. */
    public static Tensor labels(TensorSpec spec, int batch, int classes) {
        SplittableRandom random = new SplittableRandom(SEED);
        int[] values = new int[Math.toIntExact(spec.elementCount(batch))];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(classes);
        }
        return Tensor.ofInts(values, spec.shapeAt(batch));
    }
}

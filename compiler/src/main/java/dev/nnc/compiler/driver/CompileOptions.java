package dev.nnc.compiler.driver;

import java.nio.file.Path;

/**
 * What to compile and how.
 *
 * @param model    the model to compile, or null for the file's only model
 * @param maxBatch the largest batch to plan for, or 0 for the one the source declares
 * @param seed     the seed parameters are initialized from when {@code weights} is null
 * @param weights  a safetensors file with every parameter, or null
 * @param opt      the optimization level
 */
public record CompileOptions(String model, int maxBatch, long seed, Path weights, OptLevel opt) {

    public static final long DEFAULT_SEED = 0;

    public CompileOptions {
        if (maxBatch < 0) throw new IllegalArgumentException("max batch must be ≥ 0, got " + maxBatch);
        java.util.Objects.requireNonNull(opt, "opt");
    }

    /** Options at the default optimization level, {@link OptLevel#O2}. */
    public CompileOptions(String model, int maxBatch, long seed, Path weights) {
        this(model, maxBatch, seed, weights, OptLevel.O2);
    }

    public static CompileOptions defaults() {
        return new CompileOptions(null, 0, DEFAULT_SEED, null);
    }

    public CompileOptions withWeights(Path file) {
        return new CompileOptions(model, maxBatch, seed, file, opt);
    }

    public CompileOptions withOpt(OptLevel level) {
        return new CompileOptions(model, maxBatch, seed, weights, level);
    }
}

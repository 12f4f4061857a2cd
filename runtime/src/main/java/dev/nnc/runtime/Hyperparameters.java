package dev.nnc.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

/**
 * The vocabulary of hyperparameter scalars a training session writes into the arena before every step, and the value
 * each takes at step {@code t} (1-based) and epoch {@code e} (0-based).
 *
 * <ul>
 *   <li>{@code lr} (f32): the scheduled learning rate, {@link Training.Optimizer#learningRate(int)} of {@code e};</li>
 *   <li>{@code adam_bias1} (f32): {@code 1 − β1^t};</li>
 *   <li>{@code adam_bias2_sqrt} (f32): {@code √(1 − β2^t)};</li>
 *   <li>{@code seed} (i32): this step's dropout seed, {@link #dropoutSeed(long, long)} of the {@code seed} setting and {@code t}.</li>
 * </ul>
 * Values are computed in double and rounded once to f32. Stateless; the compiler's reference interpreter may call
 * these functions to reproduce a step.
 */
public final class Hyperparameters {

    /** The scheduled learning rate. */
    public static final String LR = "lr";
    /** Adam's first-moment bias correction {@code 1 − β1^t}. */
    public static final String ADAM_BIAS1 = "adam_bias1";
    /** The square root of Adam's second-moment bias correction, {@code √(1 − β2^t)}. */
    public static final String ADAM_BIAS2_SQRT = "adam_bias2_sqrt";
    /** The dropout seed of the step. */
    public static final String SEED = "seed";

    /** Every name a manifest's {@code training.hyper} may use. */
    public static final Set<String> NAMES = Set.of(LR, ADAM_BIAS1, ADAM_BIAS2_SQRT, SEED);

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private Hyperparameters() {
    }

    /** The element type of hyperparameter {@code name}; IllegalArgumentException naming the vocabulary if it is not in it. */
    public static DType dtypeOf(String name) {
        return switch (name) {
            case LR, ADAM_BIAS1, ADAM_BIAS2_SQRT -> DType.F32;
            case SEED -> DType.I32;
            default -> throw new IllegalArgumentException("hyperparameter '" + name + "' is not one of " + String.join(", ",
                    List.of(LR, ADAM_BIAS1, ADAM_BIAS2_SQRT, SEED)));
        };
    }

    /** {@code 1 − β1^t} rounded to f32. */
    public static float adamBias1(double beta1, long step) {
        return (float) (1 - Math.pow(beta1, step));
    }

    /** {@code √(1 − β2^t)} rounded to f32. */
    public static float adamBias2Sqrt(double beta2, long step) {
        return (float) Math.sqrt(1 - Math.pow(beta2, step));
    }

    /** The dropout seed of step {@code step}: {@code (int) mix64(seedSetting · 0x9E3779B97F4A7C15 + step)}. */
    public static int dropoutSeed(long seedSetting, long step) {
        return (int) mix64(seedSetting * GOLDEN_GAMMA + step);
    }

    /** SplitMix64's finalizer (Stafford's variant 13): a bijective 64-bit mix in which every input bit affects every output bit. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Writes every hyperparameter {@code training} declares at its arena offset, for step {@code step} in epoch {@code epoch}. */
    static void write(MemorySegment arena, Training training, long step, int epoch) {
        Training.Optimizer optimizer = training.optimizer();
        for (int i = 0; i < training.hyper().size(); i++) {
            long offset = training.hyperOffsets().get(i);
            switch (training.hyper().get(i).name()) {
                case LR -> arena.set(ValueLayout.JAVA_FLOAT, offset, (float) optimizer.learningRate(epoch));
                case ADAM_BIAS1 -> arena.set(ValueLayout.JAVA_FLOAT, offset, adamBias1(optimizer.beta1(), step));
                case ADAM_BIAS2_SQRT -> arena.set(ValueLayout.JAVA_FLOAT, offset, adamBias2Sqrt(optimizer.beta2(), step));
                case SEED -> arena.set(ValueLayout.JAVA_INT, offset, dropoutSeed(training.seedSetting(), step));
                default -> throw new IllegalStateException("hyperparameter " + training.hyper().get(i) + " passed validation but has no value");
            }
        }
    }
}

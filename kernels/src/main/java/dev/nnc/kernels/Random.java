package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * A counter-based uniform generator for dropout masks: the number for (seed, index) is a pure function of
 * the two, identical on every platform and independent of evaluation order or threading.
 *
 * <p>The exact formula, which the reference interpreter and any other backend must reproduce bit for bit
 * (all arithmetic on 64-bit two's-complement integers, {@code >>>} the unsigned shift, products wrap):
 * <pre>
 *   z = (((long) seed) &lt;&lt; 32) ^ index
 *   z = z + 0x9E3779B97F4A7C15
 *   z = (z ^ (z &gt;&gt;&gt; 30)) * 0xBF58476D1CE4E5B9
 *   z = (z ^ (z &gt;&gt;&gt; 27)) * 0x94D049BB133111EB
 *   z =  z ^ (z &gt;&gt;&gt; 31)
 *   uniform = (float) (z &gt;&gt;&gt; 40) * 2^−24
 * </pre>
 * That is the first output of SplitMix64 (Steele, Lea, Flood 2014) started from state seed·2³² ⊕ index,
 * keeping its top 24 bits, so the result is a multiple of 2⁻²⁴ in [0, 1 − 2⁻²⁴], exactly representable
 * as a float. Pairs with index in [0, 2³²) never share a state; larger indices overlap other seeds' streams.
 */
public final class Random {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final float INV_2_POW_24 = 0x1.0p-24f;

    private Random() {
    }

    /** The uniform number in [0, 1) for (seed, index), by the formula in the class comment. */
    public static float uniform(int seed, long index) {
        long z = (((long) seed) << 32) ^ index;
        z += GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) * INV_2_POW_24;
    }

    /** out[outOff + i] = uniform(seed, i) for i in [0, count); offsets count floats. */
    public static void fillUniform(int seed, long count, MemorySegment out, long outOff) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        for (long i = 0; i < count; i++) {
            out.setAtIndex(JAVA_FLOAT_UNALIGNED, outOff + i, uniform(seed, i));
        }
    }
}

package dev.nnc.compiler.ir;

import java.util.Locale;

/**
 * How a parameter is initialized when no weights file is given: a distribution and its scale.
 * {@code uniform(a)} draws from U(−a, a); {@code normal(s)} from N(0, s²); {@code zeros}/{@code ones} are constant.
 */
public record Init(Kind kind, double scale) {

    /** The initializer families. */
    public enum Kind { ZEROS, ONES, UNIFORM, NORMAL }

    public Init {
        if (!(scale >= 0) || Double.isInfinite(scale)) throw new IllegalArgumentException("init scale must be finite and ≥ 0, got " + scale);
    }

    public static Init zeros() {
        return new Init(Kind.ZEROS, 0);
    }

    public static Init ones() {
        return new Init(Kind.ONES, 0);
    }

    public static Init uniform(double bound) {
        return new Init(Kind.UNIFORM, bound);
    }

    /** He (Kaiming) uniform for ReLU networks: U(−√(6/fanIn), √(6/fanIn)). */
    public static Init heUniform(long fanIn) {
        return uniform(Math.sqrt(6.0 / fanIn));
    }

    /** Xavier (Glorot) uniform: U(−√(6/(fanIn+fanOut)), …). */
    public static Init xavierUniform(long fanIn, long fanOut) {
        return uniform(Math.sqrt(6.0 / (fanIn + fanOut)));
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ZEROS, ONES -> kind.name().toLowerCase(Locale.ROOT);
            case UNIFORM, NORMAL -> kind.name().toLowerCase(Locale.ROOT) + "(" + scale + ")";
        };
    }
}

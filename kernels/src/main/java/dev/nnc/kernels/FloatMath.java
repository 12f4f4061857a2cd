package dev.nnc.kernels;

/**
 * exp, log, tanh, sigmoid and softplus in float arithmetic, one implementation for every execution path: the
 * library's kernels and generated scalar code call these methods, and the compiler's vector code repeats the same
 * operations lane for lane (each step is an IEEE float operation or a fused multiply-add, both exactly rounded
 * everywhere), so a result never depends on the JIT, the vector width, or whether a lane fell into a loop's tail.
 * {@code Math.exp} and the Vector API's {@code EXP} give no such promise: intrinsic and interpreted versions differ
 * in the last bit.
 *
 * <p>Polynomials and range reductions follow Cephes' single-precision routines (S. L. Moshier); the error is within
 * 1.5 ulp of the exact result for exp, log and tanh, and 3 ulp for sigmoid and softplus, over the whole range
 * (measured by {@code FloatMathTest}). Special values behave as {@code Math}'s: NaN in, NaN
 * out; exp(−∞) = 0, exp(+∞) = +∞; log(0) = −∞, log(x &lt; 0) = NaN; subnormal results and arguments are handled.
 */
public final class FloatMath {

    private FloatMath() {}

    /** Above this exp overflows to +∞; below {@link #EXP_MIN} it is 0 (the smallest subnormal is e^−103.3). */
    public static final float EXP_MAX = 88.72283935546875f;
    public static final float EXP_MIN = -104f;
    public static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer, whose value sits in the low mantissa bits. */
    public static final float ROUNDER = 12582912f;
    public static final int ROUNDER_BITS = 0x4B400000;
    public static final float LN2_HI = 0.693359375f;
    public static final float LN2_LO = -2.12194440e-4f;
    /** exp(r) = 1 + r + r²·P(r) on |r| ≤ ln2/2, highest coefficient first. */
    public static final float[] EXP_P = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
        1.6666665459e-1f, 5.0000001201e-1f};
    public static final float SQRT_HALF = 0.707106781186547524f;
    /** log(1 + m) = m − m²/2 + m³·P(m) on √½ − 1 ≤ m &lt; √2 − 1, highest coefficient first. */
    public static final float[] LOG_P = {7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f,
        1.4249322787e-1f, -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f};
    /** 2²³, to bring a subnormal argument of log into the normal range. */
    public static final float TWO_23 = 8388608f;
    /** A biased exponent e OR-ed into the bits of 2²³ gives the float 2²³ + e; subtracting this leaves e − 126. */
    public static final int EXPONENT_BITS = 0x4B000000;
    public static final float EXPONENT_BIAS = 8388608f + 126f;
    /** tanh(x) = x + x³·P(x²) for |x| &lt; 0.625, highest coefficient first; beyond, 1 − 2/(e^{2|x|} + 1). */
    public static final float TANH_SMALL = 0.625f;
    public static final float[] TANH_P = {-5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f, 1.33314422036e-1f,
        -3.33332819422e-1f};

    /** e^x. */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float t = Math.fma(c, LOG2E, ROUNDER);                  // n + 1.5·2²³, n = round(c·log₂e)
        float n = t - ROUNDER;
        int k = Float.floatToRawIntBits(t) - ROUNDER_BITS;      // n as an int
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = EXP_P[0];
        for (int i = 1; i < EXP_P.length; i++) p = Math.fma(p, r, EXP_P[i]);
        p = Math.fma(p * r, r, r + 1f);                         // e^r
        int half = k >> 1;                                       // 2^k as two normal factors, so results may be subnormal
        float y = p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((k - half + 127) << 23);
        return x > EXP_MAX ? Float.POSITIVE_INFINITY : y;
    }

    /** The natural logarithm. */
    public static float log(float x) {
        boolean subnormal = x < Float.MIN_NORMAL;
        float s = subnormal ? x * TWO_23 : x;
        int bits = Float.floatToRawIntBits(s);
        float e = Float.intBitsToFloat(((bits >>> 23) & 0xFF) | EXPONENT_BITS) - EXPONENT_BIAS;   // the exponent, exactly
        e = subnormal ? e - 23f : e;
        float m = Float.intBitsToFloat((bits & 0x007FFFFF) | 0x3F000000);      // s = m · 2^e, m in [0.5, 1)
        boolean low = m < SQRT_HALF;
        e = low ? e - 1f : e;
        m = low ? m + m - 1f : m - 1f;                                          // now log s = log(1 + m) + e·ln2
        float z = m * m;
        float p = LOG_P[0];
        for (int i = 1; i < LOG_P.length; i++) p = Math.fma(p, m, LOG_P[i]);
        float y = p * m * z;
        y = Math.fma(e, LN2_LO, y);
        y = Math.fma(z, -0.5f, y);
        float result = Math.fma(e, LN2_HI, m + y);
        if (x == Float.POSITIVE_INFINITY) return x;
        if (x == 0f) return Float.NEGATIVE_INFINITY;
        return x < 0f || Float.isNaN(x) ? Float.NaN : result;
    }

    /** The hyperbolic tangent; odd, so it is computed for |x| and given x's sign. */
    public static float tanh(float x) {
        float a = Math.abs(x);
        float z = a * a;
        float p = TANH_P[0];
        for (int i = 1; i < TANH_P.length; i++) p = Math.fma(p, z, TANH_P[i]);
        float small = Math.fma(p * z, a, a);
        float large = 1f - 2f / (exp(a + a) + 1f);
        return Math.copySign(a < TANH_SMALL ? small : large, x);
    }

    /** The logistic function 1 / (1 + e^−x), evaluated so that nothing overflows: e/(1 + e) with e = e^−|x| for x &lt; 0. */
    public static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        float positive = 1f / (1f + e);
        return x >= 0f ? positive : e * positive;
    }

    /** log(1 + e^x) = max(x, 0) + log1p(e^−|x|), with log1p(e) = e · log(u)/(u − 1), u = 1 + e (exact when u rounds to 1). */
    public static float softplus(float x) {
        float e = exp(-Math.abs(x));
        float u = 1f + e;
        float log1p = u == 1f ? e : log(u) * (e / (u - 1f));
        return Math.max(x, 0f) + log1p;
    }
}

package dev.nnc.kernels;

/**
 * Scalar helpers that generated elementwise loops call: comparisons, exact GELU, its derivative and erf (computed in
 * double with {@code StrictMath}, whose results are the same on every JVM and in every compilation tier).
 *
 * <p>All methods are pure functions of their argument and safe to call from any thread.
 */
public final class MathFns {

    private static final double INV_SQRT2 = 0.70710678118654752440;
    private static final double INV_SQRT_2PI = 0.39894228040143267794;

    // W. J. Cody, "Rational Chebyshev approximations for the error function",
    // Mathematics of Computation 23 (1969) 631-637; coefficients and evaluation scheme as in
    // Cody's SPECFUN routine CALERF (netlib.org/specfun/erf). Relative error below ~1e-15.
    private static final double THRESHOLD = 0.46875;
    private static final double X_SMALL = 1.11e-16;
    private static final double X_BIG = 26.543;
    private static final double INV_SQRT_PI = 5.6418958354775628695e-1;

    /** erf on [0, 0.46875]: x * A(x²) / B(x²). */
    private static final double[] A = {
        3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
        3.20937758913846947e03, 1.85777706184603153e-1};
    private static final double[] B = {
        2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
        2.84423683343917062e03};
    /** erfc on (0.46875, 4]: exp(-x²) * C(x) / D(x). */
    private static final double[] C = {
        5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
        2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
        2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8};
    private static final double[] D = {
        1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
        1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
        3.43936767414372164e03, 1.23033935480374942e03};
    /** erfc on (4, 26.543): exp(-x²)/x * (1/√π − P(1/x²)/Q(1/x²)/x²). */
    private static final double[] P = {
        3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
        1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2};
    private static final double[] Q = {
        2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
        6.05183413124413191e-2, 2.33520497626869185e-3};

    private MathFns() {
    }

    /** 1 where {@code x > 0}, else 0 (also for NaN): the derivative of relu, as PyTorch's threshold_backward. */
    public static float step(float x) {
        return x > 0 ? 1f : 0f;
    }

    /** 1 where {@code a >= b}, else 0 (also when either is NaN). */
    public static float ge(float a, float b) {
        return a >= b ? 1f : 0f;
    }

    /** 1 where {@code a < b}, else 0 (also when either is NaN). */
    public static float lt(float a, float b) {
        return a < b ? 1f : 0f;
    }

    /** Exact GELU x·Φ(x) = 0.5·x·(1 + erf(x/√2)), as PyTorch's default {@code nn.GELU()}. */
    public static float gelu(float x) {
        return (float) geluExact(x);
    }

    /** Exact GELU in double precision, for the reference interpreter. */
    public static double geluExact(double x) {
        return 0.5 * x * (1.0 + erf(x * INV_SQRT2));
    }

    /** Derivative of exact GELU, Φ(x) + x·φ(x), in float (computed in double, rounded once). */
    public static float geluGrad(float x) {
        return (float) geluGradExact(x);
    }

    /**
     * Derivative of exact GELU, d/dx [x·Φ(x)] = Φ(x) + x·φ(x) with Φ(x) = (1 + erf(x/√2))/2 and
     * φ(x) = e^(−x²/2)/√(2π); 1 at +∞, 0 at −∞, NaN for NaN.
     */
    public static double geluGradExact(double x) {
        double cdf = 0.5 * (1.0 + erf(x * INV_SQRT2));
        double density = INV_SQRT_2PI * StrictMath.exp(-0.5 * x * x);
        return density == 0.0 ? cdf : cdf + x * density;
    }

    /** The error function, accurate to about 1e-15 relative (Cody 1969); erf(NaN) is NaN. */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double y = Math.abs(x);
        if (y <= THRESHOLD) {
            double ysq = y > X_SMALL ? y * y : 0.0;
            double num = A[4] * ysq;
            double den = ysq;
            for (int i = 0; i < 3; i++) {
                num = (num + A[i]) * ysq;
                den = (den + B[i]) * ysq;
            }
            return x * (num + A[3]) / (den + B[3]);
        }
        double erfc = y <= 4.0 ? erfcMiddle(y) : erfcTail(y);
        double result = 1.0 - erfc;
        return x < 0 ? -result : result;
    }

    private static double erfcMiddle(double y) {
        double num = C[8] * y;
        double den = y;
        for (int i = 0; i < 7; i++) {
            num = (num + C[i]) * y;
            den = (den + D[i]) * y;
        }
        return expMinusSquare(y) * (num + C[7]) / (den + D[7]);
    }

    private static double erfcTail(double y) {
        if (y >= X_BIG) {
            return 0.0;
        }
        double ysq = 1.0 / (y * y);
        double num = P[5] * ysq;
        double den = ysq;
        for (int i = 0; i < 4; i++) {
            num = (num + P[i]) * ysq;
            den = (den + Q[i]) * ysq;
        }
        double r = ysq * (num + P[4]) / (den + Q[4]);
        return expMinusSquare(y) * (INV_SQRT_PI - r) / y;
    }

    /** e^(−y²) with y² split as (y rounded down to 1/16)² + rest, which keeps the exponent exact. */
    private static double expMinusSquare(double y) {
        double head = Math.floor(y * 16.0) / 16.0;
        double rest = (y - head) * (y + head);
        return StrictMath.exp(-head * head) * StrictMath.exp(-rest);
    }
}

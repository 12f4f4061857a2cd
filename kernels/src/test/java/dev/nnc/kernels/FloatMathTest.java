package dev.nnc.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FloatMath} against double-precision references ({@code StrictMath}) over a sample of every 2039th float bit
 * pattern (two million arguments spread over every binade, both signs, subnormals, infinities and NaNs), and its
 * special values one by one.
 */
class FloatMathTest {

    interface FloatFunction {
        float apply(float x);
    }

    static Stream<Arguments> functions() {
        return Stream.of(
                Arguments.of("exp", (FloatFunction) FloatMath::exp, (DoubleUnaryOperator) StrictMath::exp, 1.5),
                Arguments.of("log", (FloatFunction) FloatMath::log, (DoubleUnaryOperator) StrictMath::log, 1.0),
                Arguments.of("tanh", (FloatFunction) FloatMath::tanh, (DoubleUnaryOperator) StrictMath::tanh, 1.5),
                Arguments.of("sigmoid", (FloatFunction) FloatMath::sigmoid, (DoubleUnaryOperator) x -> 1 / (1 + StrictMath.exp(-x)), 3.0),
                Arguments.of("softplus", (FloatFunction) FloatMath::softplus,
                        (DoubleUnaryOperator) x -> Math.max(x, 0) + StrictMath.log1p(StrictMath.exp(-Math.abs(x))), 3.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void withinAFewUlpOfTheExactValueEverywhere(String name, FloatFunction f, DoubleUnaryOperator exact, double maxUlps) {
        double worst = 0;
        float worstAt = 0;
        for (long bits = 0; bits <= 0xFFFFFFFFL; bits += 2039) {
            float x = Float.intBitsToFloat((int) bits);
            float actual = f.apply(x);
            double expected = exact.applyAsDouble(x);
            double ulps = ulps(actual, expected);
            if (ulps > worst) {
                worst = ulps;
                worstAt = x;
            }
        }
        assertTrue(worst <= maxUlps, name + " is " + worst + " ulp off at " + worstAt + " (bits " + Integer.toHexString(Float.floatToRawIntBits(worstAt)) + ")");
    }

    /** The error of {@code actual} in units of the float spacing at the exact value; NaN must meet NaN, infinities must be exact. */
    private static double ulps(float actual, double exact) {
        if (Double.isNaN(exact)) return Float.isNaN(actual) ? 0 : Double.POSITIVE_INFINITY;
        float rounded = (float) exact;
        if (Float.isInfinite(rounded)) return actual == rounded ? 0 : Double.POSITIVE_INFINITY;
        if (Float.isNaN(actual) || Float.isInfinite(actual)) return Double.POSITIVE_INFINITY;
        return Math.abs(actual - exact) / Math.ulp(rounded);
    }

    @Test
    void specialValues() {
        assertEquals(1f, FloatMath.exp(0f));
        assertEquals(1f, FloatMath.exp(-0f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(89f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(0f, FloatMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, FloatMath.exp(-200f));
        assertEquals((float) Math.exp(-100), FloatMath.exp(-100f));          // a subnormal result, rounded once
        assertTrue(Float.isNaN(FloatMath.exp(Float.NaN)));

        assertEquals(0f, FloatMath.log(1f));
        assertEquals(Float.NEGATIVE_INFINITY, FloatMath.log(0f));
        assertEquals(Float.NEGATIVE_INFINITY, FloatMath.log(-0f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.log(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.log(-1f)));
        assertTrue(Float.isNaN(FloatMath.log(Float.NEGATIVE_INFINITY)));
        assertTrue(Float.isNaN(FloatMath.log(Float.NaN)));
        assertEquals((float) Math.log(Float.MIN_VALUE), FloatMath.log(Float.MIN_VALUE), 1e-5f);

        assertEquals(0f, FloatMath.tanh(0f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(FloatMath.tanh(-0f)));
        assertEquals(1f, FloatMath.tanh(50f));
        assertEquals(-1f, FloatMath.tanh(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.tanh(Float.NaN)));

        assertEquals(0.5f, FloatMath.sigmoid(0f));
        assertEquals(1f, FloatMath.sigmoid(100f));
        assertEquals(1f, FloatMath.sigmoid(Float.MAX_VALUE));
        assertEquals((float) Math.exp(-100), FloatMath.sigmoid(-100f));
        assertEquals(0f, FloatMath.sigmoid(-1000f));
        assertEquals(0f, FloatMath.sigmoid(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FloatMath.sigmoid(Float.NaN)));

        assertEquals((float) Math.log(2), FloatMath.softplus(0f));
        assertEquals(100f, FloatMath.softplus(100f));
        assertEquals(Float.POSITIVE_INFINITY, FloatMath.softplus(Float.POSITIVE_INFINITY));
        assertEquals(0f, FloatMath.softplus(Float.NEGATIVE_INFINITY));
        assertEquals((float) Math.exp(-30), FloatMath.softplus(-30f), Math.ulp((float) Math.exp(-30)));
        assertTrue(Float.isNaN(FloatMath.softplus(Float.NaN)));
    }
}

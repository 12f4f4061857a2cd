package dev.nnc.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

/** Checks {@link MathFns} against published values, an exact series, finite differences, and at the extremes. */
class MathFnsTest {

    @Test
    void erfMatchesPublishedValues() {
        // Reference values are correctly rounded doubles; allow 1e-15 (the method's stated accuracy, ~5 ulp).
        assertEquals(0.5204998778130465, MathFns.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, MathFns.erf(1.0), 1e-15);
        assertEquals(0.9999779095030014, MathFns.erf(3.0), 1e-15);
        assertEquals(-0.9953222650189527, MathFns.erf(-2.0), 1e-15);
        assertEquals(0.0, MathFns.erf(0.0));
        assertEquals(1.0, MathFns.erf(30.0));
        assertEquals(-1.0, MathFns.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(MathFns.erf(Double.NaN)));
    }

    /**
     * The Maclaurin series 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)) summed in 60-digit decimal arithmetic is
     * exact to double precision for |x| ≤ 6; Cody's approximation is claimed to ~1e-15 relative, so we
     * allow 2e-15 relative (about 9 ulp near 1).
     */
    @Test
    void erfMatchesHighPrecisionSeries() {
        for (int i = -600; i <= 600; i += 7) {
            double x = i / 100.0;
            double expected = erfBySeries(x);
            double got = MathFns.erf(x);
            assertEquals(expected, got, 2e-15 * Math.abs(expected), () -> "erf(" + x + ")");
        }
        for (double x : new double[] {1e-300, 1e-20, 1e-9, 0.46875, Math.nextUp(0.46875), 4.0, Math.nextUp(4.0)}) {
            double expected = erfBySeries(x);
            assertEquals(expected, MathFns.erf(x), 2e-15 * Math.abs(expected), () -> "erf(" + x + ")");
        }
    }

    @Test
    void geluMatchesPyTorchAndSaturates() {
        // torch.nn.GELU()(x) in double: x·Φ(x).
        assertEquals(0.8413447460685429, MathFns.geluExact(1.0), 1e-15);
        assertEquals(-0.15865525393145707, MathFns.geluExact(-1.0), 1e-15);
        assertEquals(0.8413447f, MathFns.gelu(1f), 1e-7f);
        assertEquals(100f, MathFns.gelu(100f));
        assertEquals(0f, MathFns.gelu(-100f), 0f);
        assertEquals(0f, MathFns.gelu(0f), 0f);
        assertEquals(-1e-30, MathFns.geluExact(-1e-30) * 2, 1e-45);
    }

    /**
     * geluGradExact against central differences (f(x+h) − f(x−h))/2h of geluExact with h = 1e-5: the
     * truncation error h²/6·|f‴| is below 1e-10 and the rounding error about 2e-16·|f|/h ≤ 2e-10 for
     * |x| ≤ 8, so we allow 1e-8 absolute.
     */
    @Test
    void geluGradMatchesCentralDifferences() {
        double h = 1e-5;
        for (int i = -800; i <= 800; i += 3) {
            double x = i / 100.0;
            double numeric = (MathFns.geluExact(x + h) - MathFns.geluExact(x - h)) / (2 * h);
            assertEquals(numeric, MathFns.geluGradExact(x), 1e-8, () -> "geluGrad(" + x + ")");
            // The float version is the double one rounded once: within half an ulp of a value below 1.2.
            assertEquals(MathFns.geluGradExact((float) x), MathFns.geluGrad((float) x), 0x1p-24 * 1.2,
                    () -> "float geluGrad(" + x + ")");
        }
    }

    @Test
    void geluGradMatchesClosedFormAndSaturates() {
        // Φ(0) = 1/2; Φ(1) + φ(1) and Φ(−1) − φ(1) = 1 − Φ(1) − φ(1), with Φ(1) = 0.8413447460685429, φ(1) = 0.24197072451914337.
        assertEquals(0.5, MathFns.geluGradExact(0.0), 0.0);
        assertEquals(1.0833154705876864, MathFns.geluGradExact(1.0), 1e-15);
        assertEquals(-0.0833154705876863, MathFns.geluGradExact(-1.0), 1e-15);
        assertEquals(1.0, MathFns.geluGradExact(Double.POSITIVE_INFINITY));
        assertEquals(0.0, MathFns.geluGradExact(Double.NEGATIVE_INFINITY));
        assertEquals(1f, MathFns.geluGrad(50f));
        assertEquals(0f, MathFns.geluGrad(-50f), 0f);
        assertTrue(Double.isNaN(MathFns.geluGradExact(Double.NaN)));
    }

    private static double erfBySeries(double x) {
        MathContext mc = new MathContext(60);
        BigDecimal bx = new BigDecimal(x);
        BigDecimal x2 = bx.multiply(bx, mc);
        BigDecimal power = bx;
        BigDecimal factorial = BigDecimal.ONE;
        BigDecimal sum = BigDecimal.ZERO;
        BigDecimal epsilon = new BigDecimal("1e-40");
        for (int n = 0; n < 1000; n++) {
            if (n > 0) {
                power = power.multiply(x2, mc).negate();
                factorial = factorial.multiply(BigDecimal.valueOf(n));
            }
            BigDecimal term = power.divide(factorial.multiply(BigDecimal.valueOf(2L * n + 1)), mc);
            sum = sum.add(term, mc);
            if (term.abs().compareTo(epsilon) < 0 && n > 2 * x * x) {
                break;
            }
        }
        BigDecimal twoOverSqrtPi = new BigDecimal("1.12837916709551257389615890312154517168810125865799771368817");
        return sum.multiply(twoOverSqrtPi, mc).doubleValue();
    }
}

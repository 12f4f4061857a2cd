package dev.nnc.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link Random}: bit-exact values of the documented formula, determinism, range, moments and
 * independence over 10⁶ draws, and that {@link Random#fillUniform} equals {@link Random#uniform} per index.
 *
 * <p>Statistical tolerances are 6 standard errors for N = 10⁶ independent U[0, 1) draws (a false failure
 * has probability about 2·10⁻⁹): mean ± 6·√(1/12/N) = ±1.7e-3; variance ± 6·√((1/80 − 1/144)/N) = ±4.5e-4;
 * lag-1 and cross-seed correlation ± 6/√N = ±6e-3; each of 16 equal bins holds N/16 ± 6·√(N·(1/16)(15/16)).
 */
class RandomTest {

    private static final int N = 1_000_000;

    @Test
    void matchesTheDocumentedSplitMixFormula() {
        // SplitMix64 seeded with 0 first returns 0xE220A8397B1DCDAF (Vigna's reference splitmix64.c).
        assertEquals((0xE220A8397B1DCDAFL >>> 40) * 0x1.0p-24f, Random.uniform(0, 0));
        assertEquals(splitMixFirstOutput((7L << 32) ^ 123L), Random.uniform(7, 123));
        assertEquals(splitMixFirstOutput((-3L << 32) ^ 5_000_000_000L), Random.uniform(-3, 5_000_000_000L));
    }

    @Test
    void isDeterministicAndSeedDependent() {
        assertEquals(Random.uniform(42, 1000), Random.uniform(42, 1000));
        assertNotEquals(Random.uniform(42, 1000), Random.uniform(43, 1000));
        assertNotEquals(Random.uniform(42, 1000), Random.uniform(42, 1001));
    }

    @Test
    void fillUniformEqualsUniformPerIndex() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = Segments.filled(arena, 3 + 1000 + 1, Float.NaN);
            Random.fillUniform(-9, 1000, out, 3);
            float[] values = Segments.toArray(out);
            assertTrue(Float.isNaN(values[2]));
            assertTrue(Float.isNaN(values[1003]));
            for (int i = 0; i < 1000; i++) {
                assertEquals(Random.uniform(-9, i), values[3 + i], "index " + i);
            }
        }
    }

    @Test
    void millionDrawsAreUniformAndUncorrelated() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = Segments.filled(arena, N, Float.NaN);
            Random.fillUniform(2024, N, out, 0);
            float[] u = Segments.toArray(out);
            double sum = 0;
            double sumSquares = 0;
            double lagProduct = 0;
            double crossProduct = 0;
            long[] bins = new long[16];
            for (int i = 0; i < N; i++) {
                double v = u[i];
                assertTrue(v >= 0.0 && v < 1.0, () -> "out of [0, 1): " + v);
                assertEquals(0.0, v * 0x1.0p24 - Math.floor(v * 0x1.0p24), "not a multiple of 2^-24");
                sum += v;
                sumSquares += v * v;
                lagProduct += (v - 0.5) * (u[(i + 1) % N] - 0.5);
                crossProduct += (v - 0.5) * (Random.uniform(2025, i) - 0.5);
                bins[(int) (v * 16)]++;
            }
            double mean = sum / N;
            double variance = sumSquares / N - mean * mean;
            assertEquals(0.5, mean, 6 * Math.sqrt(1.0 / 12 / N));
            assertEquals(1.0 / 12, variance, 6 * Math.sqrt((1.0 / 80 - 1.0 / 144) / N));
            assertEquals(0.0, lagProduct / N * 12, 6 / Math.sqrt(N));
            assertEquals(0.0, crossProduct / N * 12, 6 / Math.sqrt(N));
            double binSpread = 6 * Math.sqrt(N * (1.0 / 16) * (15.0 / 16));
            for (long count : bins) {
                assertEquals(N / 16.0, count, binSpread);
            }
        }
    }

    /** An independent transcription of the class comment's formula, for bit-exact comparison. */
    private static float splitMixFirstOutput(long state) {
        long z = state + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (float) ((double) (z >>> 40) / (1 << 24));
    }
}

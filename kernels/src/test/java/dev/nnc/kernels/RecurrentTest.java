package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link Recurrent}'s RNN and LSTM kernels: forward against {@link RecurrentReference}; backward
 * against central finite differences of the reference's loss L = Σ y ⊙ r (random r, and r zero except
 * at the last step for a "last state only" layer), and against a directional finite difference of the
 * float kernels' own forward pass.
 *
 * <p>Tolerances. Forward: |y − y_ref| ≤ 2⁻²⁰·(1 + |y_ref|); every case here also passes at 2⁻²³ (each
 * pre-activation is a float dot product of length f + h with relative rounding ~(f + h)·2⁻²⁴, and the
 * saturating activations do not amplify it over t ≤ 6 steps). Backward: |g − g_fd| ≤ 2⁻¹⁷·(1 + max|g_fd|)
 * per gradient block; every case also passes at 2⁻²⁰. The reference differences use ε = 1e-6 in double,
 * whose own error is ~1e-9. Float directional check: ε = 2⁻⁷, |⟨g, v⟩ − difference| ≤ 2e-3·(|difference| + 1);
 * measured ≤ 1e-4, from the ε² truncation term and float rounding of L (~n·t·h·2⁻²⁴ / 2ε). A wrong gate
 * order, a missing time step or a dropped term moves gradients by 10⁻² or more.
 */
class RecurrentTest {

    private static final double FORWARD_TOLERANCE = 0x1p-20;
    private static final double GRADIENT_TOLERANCE = 0x1p-17;
    private static final double REFERENCE_STEP = 1e-6;
    private static final double FLOAT_STEP = 0x1p-7;
    private static final double DIRECTIONAL_TOLERANCE = 2e-3;
    private static final int MAX_CHECKED_PER_BLOCK = 24;

    private static final long X_OFF = 3;
    private static final long W_IH_OFF = 1;
    private static final long W_HH_OFF = 2;
    private static final long B_IH_OFF = 5;
    private static final long B_HH_OFF = 7;
    private static final long Y_OFF = 4;
    private static final long CELLS_OFF = 6;
    private static final long DY_OFF = 1;
    private static final long DX_OFF = 2;
    private static final long DW_OFF = 3;
    private static final long SCRATCH_OFF = 5;

    /** Which recurrent cell, and how many gate blocks of h rows its weights have. */
    enum Cell {
        RNN(1), LSTM(4);

        final int gates;

        Cell(int gates) {
            this.gates = gates;
        }
    }

    record Size(int n, int t, int f, int h) {
    }

    /** One layer's float operands in PyTorch layout. */
    record Problem(Cell cell, Size size, float[] x, float[] wIh, float[] wHh, float[] bIh, float[] bHh) {

        static Problem random(Cell cell, Size size, long seed) {
            Random random = new Random(seed);
            int rows = cell.gates * size.h();
            double scale = 1.5 / Math.sqrt(Math.max(1, size.f() + size.h()));
            return new Problem(cell, size, uniform(random, size.n() * size.t() * size.f(), 1.0),
                    uniform(random, rows * size.f(), scale), uniform(random, rows * size.h(), scale),
                    uniform(random, rows, 0.5), uniform(random, rows, 0.5));
        }

        RecurrentReference.Operands operands() {
            return new RecurrentReference.Operands(size.n(), size.t(), size.f(), size.h(), widen(x), widen(wIh),
                    widen(wHh), widen(bIh), widen(bHh));
        }

        int outputs() {
            return size.n() * size.t() * size.h();
        }

        int packedGradient() {
            int rows = cell.gates * size.h();
            return rows * size.f() + rows * size.h() + 2 * rows;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Cell cell : Cell.values()) {
            for (int n : new int[] {1, 3}) {
                for (int t : new int[] {1, 5}) {
                    cases.add(Arguments.of(cell, new Size(n, t, 3, 4)));
                    cases.add(Arguments.of(cell, new Size(n, t, 4, 3)));
                }
            }
            cases.add(Arguments.of(cell, new Size(3, 6, 40, 33)));
            cases.add(Arguments.of(cell, new Size(2, 3, 0, 2)));
            cases.add(Arguments.of(cell, new Size(2, 3, 3, 0)));
            cases.add(Arguments.of(cell, new Size(0, 3, 2, 2)));
            cases.add(Arguments.of(cell, new Size(2, 0, 2, 2)));
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardMatchesDoubleReference(Cell cell, Size size) {
        Problem p = Problem.random(cell, size, size.hashCode() * 31L + cell.ordinal());
        float[][] states = forward(p);
        RecurrentReference.States expected = reference(p);
        assertClose("y", expected.y(), states[0], FORWARD_TOLERANCE);
        if (cell == Cell.LSTM) {
            assertClose("cells", expected.cells(), states[1], FORWARD_TOLERANCE);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFiniteDifferencesOfReference(Cell cell, Size size) {
        Problem p = Problem.random(cell, size, size.hashCode() * 17L + cell.ordinal());
        float[] r = uniform(new Random(size.hashCode()), p.outputs(), 1.0);
        checkAgainstReference(p, r);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lastStateOnlyGradientsMatchFiniteDifferences(Cell cell, Size size) {
        Problem p = Problem.random(cell, size, size.hashCode() * 13L + cell.ordinal());
        float[] r = uniform(new Random(size.hashCode() + 1), p.outputs(), 1.0);
        int h = size.h();
        for (int b = 0; b < size.n(); b++) {
            for (int s = 0; s < size.t() - 1; s++) {
                for (int j = 0; j < h; j++) {
                    r[(b * size.t() + s) * h + j] = 0f;
                }
            }
        }
        checkAgainstReference(p, r);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesDirectionalDifferenceOfFloatForward(Cell cell, Size size) {
        Problem p = Problem.random(cell, size, size.hashCode() * 7L + cell.ordinal());
        Random random = new Random(size.hashCode() + 2);
        float[] r = uniform(random, p.outputs(), 1.0);
        float[][] gradients = backward(p, r);
        Problem direction = Problem.random(cell, size, size.hashCode() + 3L);
        double predicted = dot(gradients[0], direction.x()) + dot(gradients[1], packed(direction));
        double plus = dot(forward(shifted(p, direction, FLOAT_STEP))[0], r);
        double minus = dot(forward(shifted(p, direction, -FLOAT_STEP))[0], r);
        double measured = (plus - minus) / (2 * FLOAT_STEP);
        assertEquals(measured, predicted, DIRECTIONAL_TOLERANCE * (Math.abs(measured) + 1),
                () -> cell + " " + size);
    }

    @Test
    void scratchSizesCoverWhatBackwardUses() {
        assertEquals(3L * 5 * 4, Recurrent.rnnScratchFloats(3, 5, 2, 4));
        assertEquals(3L * 5 * 16 + 2 * 3 * 4, Recurrent.lstmScratchFloats(3, 5, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> Recurrent.rnnScratchFloats(-1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Recurrent.lstmScratchFloats(1, 1, 1, -1));
    }

    private static void checkAgainstReference(Problem p, float[] r) {
        float[][] gradients = backward(p, r);
        double[] weights = widen(r);
        RecurrentReference.Operands base = p.operands();
        Function<RecurrentReference.Operands, Double> loss = o -> {
            double[] y = (p.cell() == Cell.RNN ? RecurrentReference.rnn(o) : RecurrentReference.lstm(o)).y();
            double sum = 0;
            for (int i = 0; i < y.length; i++) {
                sum += y[i] * weights[i];
            }
            return sum;
        };
        int rows = p.cell().gates * p.size().h();
        int dWhh = rows * p.size().f();
        int dBih = dWhh + rows * p.size().h();
        int dBhh = dBih + rows;
        checkBlock(p, "dx", base.x(), gradients[0], 0, loss, base);
        checkBlock(p, "dW_ih", base.wIh(), gradients[1], 0, loss, base);
        checkBlock(p, "dW_hh", base.wHh(), gradients[1], dWhh, loss, base);
        checkBlock(p, "db_ih", base.bIh(), gradients[1], dBih, loss, base);
        checkBlock(p, "db_hh", base.bHh(), gradients[1], dBhh, loss, base);
    }

    /**
     * Compares {@code actual[from + i]} with the central difference of the loss in {@code parameter[i]}
     * (an array of {@code base}, perturbed in place), for at most {@link #MAX_CHECKED_PER_BLOCK} evenly
     * spread i.
     */
    private static void checkBlock(Problem p, String name, double[] parameter, float[] actual, int from,
            Function<RecurrentReference.Operands, Double> loss, RecurrentReference.Operands base) {
        int stride = Math.max(1, parameter.length / MAX_CHECKED_PER_BLOCK);
        double[] expected = new double[parameter.length];
        double scale = 0;
        for (int i = 0; i < parameter.length; i += stride) {
            double saved = parameter[i];
            parameter[i] = saved + REFERENCE_STEP;
            double plus = loss.apply(base);
            parameter[i] = saved - REFERENCE_STEP;
            double minus = loss.apply(base);
            parameter[i] = saved;
            expected[i] = (plus - minus) / (2 * REFERENCE_STEP);
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        double bound = GRADIENT_TOLERANCE * (1 + scale);
        for (int i = 0; i < parameter.length; i += stride) {
            if (Math.abs(actual[from + i] - expected[i]) > bound) {
                fail(p.cell() + " " + p.size() + " " + name + "[" + i + "] = " + actual[from + i]
                        + ", finite difference " + expected[i] + ", bound " + bound);
            }
        }
    }

    private static RecurrentReference.States reference(Problem p) {
        return p.cell() == Cell.RNN ? RecurrentReference.rnn(p.operands()) : RecurrentReference.lstm(p.operands());
    }

    /** Runs the float forward kernel; returns {y, cells} (cells empty for the RNN). */
    private static float[][] forward(Problem p) {
        Size z = p.size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = segment(arena, X_OFF, p.x());
            MemorySegment wIh = segment(arena, W_IH_OFF, p.wIh());
            MemorySegment wHh = segment(arena, W_HH_OFF, p.wHh());
            MemorySegment bIh = segment(arena, B_IH_OFF, p.bIh());
            MemorySegment bHh = segment(arena, B_HH_OFF, p.bHh());
            MemorySegment y = poisoned(arena, Y_OFF, p.outputs());
            if (p.cell() == Cell.RNN) {
                Recurrent.rnnForward(z.n(), z.t(), z.f(), z.h(), x, X_OFF, wIh, W_IH_OFF, wHh, W_HH_OFF,
                        bIh, B_IH_OFF, bHh, B_HH_OFF, y, Y_OFF);
                return new float[][] {written(y, Y_OFF, p.outputs()), new float[0]};
            }
            MemorySegment cells = poisoned(arena, CELLS_OFF, p.outputs());
            Recurrent.lstmForward(z.n(), z.t(), z.f(), z.h(), x, X_OFF, wIh, W_IH_OFF, wHh, W_HH_OFF,
                    bIh, B_IH_OFF, bHh, B_HH_OFF, y, Y_OFF, cells, CELLS_OFF);
            return new float[][] {written(y, Y_OFF, p.outputs()), written(cells, CELLS_OFF, p.outputs())};
        }
    }

    /** Runs the float forward kernel, then the backward kernel with dy = r; returns {dx, packed dW}. */
    private static float[][] backward(Problem p, float[] r) {
        Size z = p.size();
        float[][] states = forward(p);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = segment(arena, X_OFF, p.x());
            MemorySegment wIh = segment(arena, W_IH_OFF, p.wIh());
            MemorySegment wHh = segment(arena, W_HH_OFF, p.wHh());
            MemorySegment y = segment(arena, Y_OFF, states[0]);
            MemorySegment dy = segment(arena, DY_OFF, r);
            int inputs = z.n() * z.t() * z.f();
            MemorySegment dx = poisoned(arena, DX_OFF, inputs);
            MemorySegment dW = poisoned(arena, DW_OFF, p.packedGradient());
            if (p.cell() == Cell.RNN) {
                long scratchFloats = Recurrent.rnnScratchFloats(z.n(), z.t(), z.f(), z.h());
                MemorySegment scratch = poisoned(arena, SCRATCH_OFF, scratchFloats);
                Recurrent.rnnBackward(z.n(), z.t(), z.f(), z.h(), x, X_OFF, wIh, W_IH_OFF, wHh, W_HH_OFF,
                        y, Y_OFF, dy, DY_OFF, dx, DX_OFF, dW, DW_OFF, scratch, SCRATCH_OFF);
                assertUntouchedAround(scratch, SCRATCH_OFF, scratchFloats);
            } else {
                MemorySegment bIh = segment(arena, B_IH_OFF, p.bIh());
                MemorySegment bHh = segment(arena, B_HH_OFF, p.bHh());
                MemorySegment cells = segment(arena, CELLS_OFF, states[1]);
                long scratchFloats = Recurrent.lstmScratchFloats(z.n(), z.t(), z.f(), z.h());
                MemorySegment scratch = poisoned(arena, SCRATCH_OFF, scratchFloats);
                Recurrent.lstmBackward(z.n(), z.t(), z.f(), z.h(), x, X_OFF, wIh, W_IH_OFF, wHh, W_HH_OFF,
                        bIh, B_IH_OFF, bHh, B_HH_OFF, y, Y_OFF, cells, CELLS_OFF, dy, DY_OFF, dx, DX_OFF,
                        dW, DW_OFF, scratch, SCRATCH_OFF);
                assertUntouchedAround(scratch, SCRATCH_OFF, scratchFloats);
            }
            return new float[][] {written(dx, DX_OFF, inputs), written(dW, DW_OFF, p.packedGradient())};
        }
    }

    /** p's operands moved by step·direction (the same shapes), rounded to float. */
    private static Problem shifted(Problem p, Problem direction, double step) {
        return new Problem(p.cell(), p.size(), axpy(p.x(), direction.x(), step), axpy(p.wIh(), direction.wIh(), step),
                axpy(p.wHh(), direction.wHh(), step), axpy(p.bIh(), direction.bIh(), step),
                axpy(p.bHh(), direction.bHh(), step));
    }

    /** The parameters in the packed gradient's layout [W_ih | W_hh | b_ih | b_hh]. */
    private static float[] packed(Problem p) {
        float[] all = new float[p.packedGradient()];
        int at = 0;
        for (float[] part : new float[][] {p.wIh(), p.wHh(), p.bIh(), p.bHh()}) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private static float[] axpy(float[] base, float[] direction, double step) {
        float[] out = new float[base.length];
        for (int i = 0; i < base.length; i++) {
            out[i] = (float) (base[i] + step * direction[i]);
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    private static void assertClose(String name, double[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length, name + " length");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= tolerance * (1 + Math.abs(expected[i])))) {
                fail(name + "[" + i + "] = " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    private static float[] uniform(Random random, int size, double scale) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return values;
    }

    private static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** A segment 4 bytes past a 64-byte boundary holding {@code values} from float {@code offset}; NaN before. */
    private static MemorySegment segment(Arena arena, long offset, float[] values) {
        MemorySegment s = poisoned(arena, offset, values.length);
        MemorySegment.copy(values, 0, s, JAVA_FLOAT_UNALIGNED, offset * Float.BYTES, values.length);
        return s;
    }

    /** A segment 4 bytes past a 64-byte boundary with room for {@code floats} floats after {@code offset} and one guard float, all NaN. */
    private static MemorySegment poisoned(Arena arena, long offset, long floats) {
        long total = offset + floats + 1;
        MemorySegment s = arena.allocate(total * Float.BYTES + 4, 64).asSlice(4, total * Float.BYTES);
        for (long i = 0; i < total; i++) {
            s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, Float.NaN);
        }
        return s;
    }

    /** The {@code floats} floats at {@code offset}, after asserting the kernel wrote all of them and nothing around them. */
    private static float[] written(MemorySegment s, long offset, int floats) {
        assertUntouchedAround(s, offset, floats);
        float[] values = new float[floats];
        MemorySegment.copy(s, JAVA_FLOAT_UNALIGNED, offset * Float.BYTES, values, 0, floats);
        for (int i = 0; i < floats; i++) {
            assertTrue(!Float.isNaN(values[i]), "output " + i + " not written");
        }
        return values;
    }

    private static void assertUntouchedAround(MemorySegment s, long offset, long floats) {
        for (long i = 0; i < offset; i++) {
            assertTrue(Float.isNaN(s.getAtIndex(JAVA_FLOAT_UNALIGNED, i)), "wrote before the output");
        }
        assertTrue(Float.isNaN(s.getAtIndex(JAVA_FLOAT_UNALIGNED, offset + floats)), "wrote past the output");
    }
}

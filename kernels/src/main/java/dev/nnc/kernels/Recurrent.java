package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Single-layer Elman RNN (tanh) and LSTM over batch-first sequences, forward and backpropagation through
 * time, with PyTorch's {@code nn.RNN(batch_first=True)} / {@code nn.LSTM(batch_first=True)} semantics and
 * a zero initial state; time is a loop inside each method, so callers do not grow with the sequence.
 *
 * <p>x is [n, t, f], y is [n, t, h] (every hidden state), W_ih is [g·h, f], W_hh is [g·h, h], the biases
 * are [g·h], with g = 1 for the RNN and g = 4 for the LSTM, whose gate blocks are in PyTorch's order
 * i, f, g, o. All tensors are row-major float32, offsets count floats, segments may be 4-byte aligned.
 * Every matrix product goes through {@link Gemm#sgemm}. Outputs and scratch are overwritten and must not
 * overlap the inputs. Stateless and thread-safe for disjoint outputs and scratch.
 *
 * <p>The packed weight gradient {@code dW} that both backward methods write (summed over the batch) is
 * [dW_ih (g·h·f) | dW_hh (g·h·h) | db_ih (g·h) | db_hh (g·h)], the layout of the four parameters in
 * PyTorch's order {@code weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0}; db_ih and db_hh are equal.
 */
public final class Recurrent {

    private static final int LSTM_GATES = 4;

    private static final ThreadLocal<GateBuffer> GATES = ThreadLocal.withInitial(GateBuffer::new);

    private Recurrent() {
    }

    /** Floats of scratch {@link #rnnBackward} needs: the pre-activation gradients [n, t, h]. */
    public static long rnnScratchFloats(int n, int t, int f, int h) {
        requireSizes(n, t, f, h);
        return (long) n * t * h;
    }

    /**
     * Floats of scratch {@link #lstmBackward} needs: the gates, then their pre-activation gradients
     * [n, t, 4h], plus the hidden-state gradient and the cell-state carry [n, h] each.
     */
    public static long lstmScratchFloats(int n, int t, int f, int h) {
        requireSizes(n, t, f, h);
        return (long) n * t * LSTM_GATES * h + 2L * n * h;
    }

    /**
     * y_s = tanh(x_s·W_ihᵀ + b_ih + y_{s−1}·W_hhᵀ + b_hh) for s = 0..t−1 with y_{−1} = 0; y [n, t, h] is
     * overwritten. The input projection of all steps is one GEMM into y, then each step adds its recurrent
     * product in place.
     */
    public static void rnnForward(int n, int t, int f, int h, MemorySegment x, long xOff,
            MemorySegment wIh, long wIhOff, MemorySegment wHh, long wHhOff, MemorySegment bIh, long bIhOff,
            MemorySegment bHh, long bHhOff, MemorySegment y, long yOff) {
        requireSizes(n, t, f, h);
        int rows = Math.multiplyExact(n, t);
        int yLd = Math.multiplyExact(t, h);
        multiply(false, true, rows, h, f, x, xOff, f, wIh, wIhOff, f, y, yOff, h, false);
        for (int s = 0; s < t; s++) {
            long step = yOff + (long) s * h;
            if (s > 0) {
                multiply(false, true, n, h, h, y, step - h, yLd, wHh, wHhOff, h, y, step, yLd, true);
            }
            for (int b = 0; b < n; b++) {
                long row = step + (long) b * yLd;
                for (int j = 0; j < h; j++) {
                    float pre = get(y, row + j) + get(bIh, bIhOff + j) + get(bHh, bHhOff + j);
                    set(y, row + j, FloatMath.tanh(pre));
                }
            }
        }
    }

    /**
     * Gradients of an RNN layer given its forward output y and dL/dy for every step ({@code dy} [n, t, h];
     * a layer that returns only the last state passes zeros elsewhere): dx [n, t, f] and the packed dW
     * (see the class comment) are overwritten. Scratch: {@link #rnnScratchFloats}.
     *
     * <p>Backwards in time, da_s = (dy_s + da_{s+1}·W_hh) ⊙ (1 − y_s²) fills scratch [n, t, h]; then
     * dx = da·W_ih, dW_ih = daᵀ·x, dW_hh = Σ_s da_sᵀ·y_{s−1}, db = Σ da.
     */
    public static void rnnBackward(int n, int t, int f, int h, MemorySegment x, long xOff,
            MemorySegment wIh, long wIhOff, MemorySegment wHh, long wHhOff, MemorySegment y, long yOff,
            MemorySegment dy, long dyOff, MemorySegment dx, long dxOff, MemorySegment dW, long dWOff,
            MemorySegment scratch, long scratchOff) {
        requireSizes(n, t, f, h);
        int yLd = Math.multiplyExact(t, h);
        for (int s = t - 1; s >= 0; s--) {
            long step = (long) s * h;
            boolean hasLater = s < t - 1;
            if (hasLater) {
                multiply(false, false, n, h, h, scratch, scratchOff + step + h, yLd, wHh, wHhOff, h,
                        scratch, scratchOff + step, yLd, false);
            }
            for (int b = 0; b < n; b++) {
                long row = step + (long) b * yLd;
                for (int j = 0; j < h; j++) {
                    float fromLater = hasLater ? get(scratch, scratchOff + row + j) : 0f;
                    float state = get(y, yOff + row + j);
                    float grad = (get(dy, dyOff + row + j) + fromLater) * (1f - state * state);
                    set(scratch, scratchOff + row + j, grad);
                }
            }
        }
        weightAndInputGradients(n, t, f, h, 1, x, xOff, wIh, wIhOff, y, yOff, dx, dxOff, dW, dWOff,
                scratch, scratchOff);
    }

    /**
     * One LSTM layer: per step, gates z = x_s·W_ihᵀ + b_ih + y_{s−1}·W_hhᵀ + b_hh split as i, f, g, o;
     * c_s = σ(f)·c_{s−1} + σ(i)·tanh(g), y_s = σ(o)·tanh(c_s), with y_{−1} = c_{−1} = 0. y and
     * {@code cells} (every c_s, which {@link #lstmBackward} needs) [n, t, h] are overwritten.
     *
     * <p>The gates of one step, [n, 4h], live in a per-thread native buffer reused across calls.
     */
    public static void lstmForward(int n, int t, int f, int h, MemorySegment x, long xOff,
            MemorySegment wIh, long wIhOff, MemorySegment wHh, long wHhOff, MemorySegment bIh, long bIhOff,
            MemorySegment bHh, long bHhOff, MemorySegment y, long yOff, MemorySegment cells, long cellsOff) {
        requireSizes(n, t, f, h);
        int gatesWidth = Math.multiplyExact(LSTM_GATES, h);
        int xLd = Math.multiplyExact(t, f);
        int yLd = Math.multiplyExact(t, h);
        MemorySegment gates = GATES.get().floats((long) n * gatesWidth);
        for (int s = 0; s < t; s++) {
            long step = (long) s * h;
            multiply(false, true, n, gatesWidth, f, x, xOff + (long) s * f, xLd, wIh, wIhOff, f,
                    gates, 0, gatesWidth, false);
            if (s > 0) {
                multiply(false, true, n, gatesWidth, h, y, yOff + step - h, yLd, wHh, wHhOff, h,
                        gates, 0, gatesWidth, true);
            }
            for (int b = 0; b < n; b++) {
                long gateRow = (long) b * gatesWidth;
                long row = step + (long) b * yLd;
                for (int j = 0; j < h; j++) {
                    float in = FloatMath.sigmoid(gate(gates, gateRow, bIh, bIhOff, bHh, bHhOff, j));
                    float forget = FloatMath.sigmoid(gate(gates, gateRow, bIh, bIhOff, bHh, bHhOff, h + j));
                    float candidate = FloatMath.tanh(gate(gates, gateRow, bIh, bIhOff, bHh, bHhOff, 2 * h + j));
                    float out = FloatMath.sigmoid(gate(gates, gateRow, bIh, bIhOff, bHh, bHhOff, 3 * h + j));
                    float previous = s > 0 ? get(cells, cellsOff + row - h + j) : 0f;
                    float cell = forget * previous + in * candidate;
                    set(cells, cellsOff + row + j, cell);
                    set(y, yOff + row + j, out * FloatMath.tanh(cell));
                }
            }
        }
    }

    /**
     * Gradients of an LSTM layer given its forward output y, its {@code cells} and dL/dy for every step
     * ({@code dy} [n, t, h]): dx [n, t, f] and the packed dW (see the class comment) are overwritten.
     * Scratch: {@link #lstmScratchFloats}.
     *
     * <p>The biases are operands because the gates cannot be recovered from y and cells alone. The gates
     * of all steps are recomputed from x, y, the weights and biases with no sequential dependency (x·W_ihᵀ
     * in one GEMM, y_{s−1}·W_hhᵀ in one GEMM per sequence). Backwards in time, with dh_s = dy_s + dz_{s+1}·W_hh
     * and dc_s = dh_s·o·(1 − tanh²c_s) + dc_{s+1}·f_{s+1}: dz_o = dh_s·tanh c_s·o(1−o),
     * dz_i = dc_s·g·i(1−i), dz_f = dc_s·c_{s−1}·f(1−f), dz_g = dc_s·i·(1−g²), written over the gates.
     * Then dx = dz·W_ih, dW_ih = dzᵀ·x, dW_hh = Σ_s dz_sᵀ·y_{s−1}, db = Σ dz.
     */
    public static void lstmBackward(int n, int t, int f, int h, MemorySegment x, long xOff,
            MemorySegment wIh, long wIhOff, MemorySegment wHh, long wHhOff, MemorySegment bIh, long bIhOff,
            MemorySegment bHh, long bHhOff, MemorySegment y, long yOff, MemorySegment cells, long cellsOff,
            MemorySegment dy, long dyOff, MemorySegment dx, long dxOff,
            MemorySegment dW, long dWOff, MemorySegment scratch, long scratchOff) {
        requireSizes(n, t, f, h);
        int gatesWidth = Math.multiplyExact(LSTM_GATES, h);
        int gatesLd = Math.multiplyExact(t, gatesWidth);
        int yLd = Math.multiplyExact(t, h);
        long hiddenGrad = scratchOff + (long) n * gatesLd;
        long cellCarry = hiddenGrad + (long) n * h;
        recomputeGates(n, t, f, h, x, xOff, wIh, wIhOff, wHh, wHhOff, bIh, bIhOff, bHh, bHhOff, y, yOff,
                scratch, scratchOff);
        for (int s = t - 1; s >= 0; s--) {
            boolean hasLater = s < t - 1;
            if (hasLater) {
                multiply(false, false, n, h, gatesWidth, scratch, scratchOff + (long) (s + 1) * gatesWidth,
                        gatesLd, wHh, wHhOff, h, scratch, hiddenGrad, h, false);
            }
            for (int b = 0; b < n; b++) {
                long gateRow = scratchOff + (long) b * gatesLd + (long) s * gatesWidth;
                long row = (long) b * yLd + (long) s * h;
                long carryRow = cellCarry + (long) b * h;
                for (int j = 0; j < h; j++) {
                    float in = get(scratch, gateRow + j);
                    float forget = get(scratch, gateRow + h + j);
                    float candidate = get(scratch, gateRow + 2 * h + j);
                    float out = get(scratch, gateRow + 3 * h + j);
                    float tanhCell = FloatMath.tanh(get(cells, cellsOff + row + j));
                    float previousCell = s > 0 ? get(cells, cellsOff + row - h + j) : 0f;
                    float carry = hasLater ? get(scratch, carryRow + j) : 0f;
                    float hidden = get(dy, dyOff + row + j)
                            + (hasLater ? get(scratch, hiddenGrad + (long) b * h + j) : 0f);
                    float cell = hidden * out * (1f - tanhCell * tanhCell) + carry;
                    set(scratch, carryRow + j, cell * forget);
                    set(scratch, gateRow + j, cell * candidate * in * (1f - in));
                    set(scratch, gateRow + h + j, cell * previousCell * forget * (1f - forget));
                    set(scratch, gateRow + 2 * h + j, cell * in * (1f - candidate * candidate));
                    set(scratch, gateRow + 3 * h + j, hidden * tanhCell * out * (1f - out));
                }
            }
        }
        weightAndInputGradients(n, t, f, h, LSTM_GATES, x, xOff, wIh, wIhOff, y, yOff, dx, dxOff, dW, dWOff,
                scratch, scratchOff);
    }

    /** Writes the activated LSTM gates σ(i), σ(f), tanh(g), σ(o) of every step into scratch [n, t, 4h]. */
    private static void recomputeGates(int n, int t, int f, int h, MemorySegment x, long xOff,
            MemorySegment wIh, long wIhOff, MemorySegment wHh, long wHhOff, MemorySegment bIh, long bIhOff,
            MemorySegment bHh, long bHhOff, MemorySegment y, long yOff, MemorySegment gates, long gatesOff) {
        int gatesWidth = LSTM_GATES * h;
        int rows = Math.multiplyExact(n, t);
        multiply(false, true, rows, gatesWidth, f, x, xOff, f, wIh, wIhOff, f, gates, gatesOff, gatesWidth,
                false);
        for (int b = 0; t > 1 && b < n; b++) {
            long sequence = gatesOff + (long) b * t * gatesWidth;
            multiply(false, true, t - 1, gatesWidth, h, y, yOff + (long) b * t * h, h, wHh, wHhOff, h,
                    gates, sequence + gatesWidth, gatesWidth, true);
        }
        for (long r = 0; r < rows; r++) {
            long row = gatesOff + r * gatesWidth;
            for (int j = 0; j < gatesWidth; j++) {
                float pre = gate(gates, row, bIh, bIhOff, bHh, bHhOff, j);
                set(gates, row + j, j >= 2 * h && j < 3 * h ? FloatMath.tanh(pre) : FloatMath.sigmoid(pre));
            }
        }
    }

    /**
     * From the pre-activation gradients dz [n, t, g·h] in scratch: dx = dz·W_ih, dW_ih = dzᵀ·x,
     * dW_hh = Σ over sequences of dz_{1..t−1}ᵀ·y_{0..t−2}, and both bias gradients = column sums of dz.
     */
    private static void weightAndInputGradients(int n, int t, int f, int h, int gateCount, MemorySegment x,
            long xOff, MemorySegment wIh, long wIhOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff,
            MemorySegment dW, long dWOff, MemorySegment grads, long gradsOff) {
        int width = gateCount * h;
        int rows = Math.multiplyExact(n, t);
        long dWhh = dWOff + (long) width * f;
        long dBih = dWhh + (long) width * h;
        long dBhh = dBih + width;
        multiply(false, false, rows, f, width, grads, gradsOff, width, wIh, wIhOff, f, dx, dxOff, f, false);
        multiply(true, false, width, f, rows, grads, gradsOff, width, x, xOff, f, dW, dWOff, f, false);
        fillZero(dW, dWhh, (long) width * h);
        for (int b = 0; t > 1 && b < n; b++) {
            long sequence = (long) b * t;
            multiply(true, false, width, h, t - 1, grads, gradsOff + (sequence + 1) * width, width,
                    y, yOff + sequence * h, h, dW, dWhh, h, true);
        }
        fillZero(dW, dBih, width);
        for (long r = 0; r < rows; r++) {
            long row = gradsOff + r * width;
            for (int j = 0; j < width; j++) {
                set(dW, dBih + j, get(dW, dBih + j) + get(grads, row + j));
            }
        }
        MemorySegment.copy(dW, JAVA_FLOAT_UNALIGNED, dBih * Float.BYTES, dW, JAVA_FLOAT_UNALIGNED,
                dBhh * Float.BYTES, width);
    }

    /**
     * {@link Gemm#sgemm} with every leading dimension raised to at least 1, which only matters when a
     * dimension is 0 (f = 0 or h = 0) and the stride is then never used.
     */
    private static void multiply(boolean transA, boolean transB, int m, int n, int k, MemorySegment a, long aOff,
            int lda, MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc, boolean accumulate) {
        Gemm.sgemm(transA, transB, m, n, k, a, aOff, Math.max(1, lda), b, bOff, Math.max(1, ldb), c, cOff,
                Math.max(1, ldc), accumulate);
    }

    private static float gate(MemorySegment gates, long gateRow, MemorySegment bIh, long bIhOff,
            MemorySegment bHh, long bHhOff, int index) {
        return get(gates, gateRow + index) + get(bIh, bIhOff + index) + get(bHh, bHhOff + index);
    }

    private static void fillZero(MemorySegment segment, long offset, long floats) {
        segment.asSlice(offset * Float.BYTES, floats * Float.BYTES).fill((byte) 0);
    }

    private static float get(MemorySegment segment, long index) {
        return segment.getAtIndex(JAVA_FLOAT_UNALIGNED, index);
    }

    private static void set(MemorySegment segment, long index, float value) {
        segment.setAtIndex(JAVA_FLOAT_UNALIGNED, index, value);
    }

    private static void requireSizes(int n, int t, int f, int h) {
        if (n < 0 || t < 0 || f < 0 || h < 0) {
            throw new IllegalArgumentException("negative size n=" + n + " t=" + t + " f=" + f + " h=" + h);
        }
    }
}

package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import dev.nnc.kernels.Gemm.Operand;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM path for larger problems: Goto-style cache blocking around a {@value #MR}×(2 vectors) register-blocked
 * micro-kernel that reads both operands from {@link MemorySegment}s.
 *
 * <p>A is copied into a heap array one {@link #MC}×{@link #KC} block at a time, row by row (for a row-major A, as a
 * dense layer's input or a convolution's weight, a plain copy of each row). B is read from
 * {@link PackedPanels#B_COLUMNS}-column panels, packed ahead of time ({@link Gemm#packB}) or here per
 * {@link #KC}×{@link #NC} block, or — when {@link #readsBInPlace} — straight from its rows. Loops, outermost first:
 * columns in blocks of {@link #NC}, depth in equal blocks of at most {@link #KC}, rows in blocks of {@link #MC}, then
 * one 2-vector column strip of B (in L1) against every 6 rows of the A block. The micro-kernel always runs a full tile
 * (B panels are zero-padded, missing A rows repeat the last one) and only its write-back to C is clipped.
 *
 * <p>The tile is 6 rows by 2 vectors: 12 accumulators, which cover the FMA latency of two FMA ports on both AVX2
 * (16 registers: 12 + 2 B vectors + 1 broadcast) and AVX-512 (32 registers), with 8 loads per 12 FMAs.
 */
final class GemmBlocked {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Rows of C per micro-tile. */
    static final int MR = 6;
    /** Columns of C per micro-tile: two vectors. */
    static final int NR = 2 * VL;
    /** Largest depth of one block. */
    static final int KC = 256;
    /** Rows of A per block. */
    static final int MC = 16 * MR;
    /** Columns of B per block, a multiple of the B panel width. */
    static final int NC = 64 * PackedPanels.B_COLUMNS;

    /** Whether the micro-kernel can run here: its vectors must tile a B panel. */
    static final boolean SUPPORTED = PackedPanels.B_COLUMNS % VL == 0 && VL >= 2;

    private GemmBlocked() {
    }

    /**
     * Whether a B that is not prepacked is read straight from its rows: when it is row-major, few A blocks read it
     * (m ≤ {@link #MC}), and its rows are not a multiple of 1 KiB apart (which would map them all to the same cache
     * sets) — a convolution's column matrix, say. Otherwise it is packed one block at a time.
     */
    static boolean readsBInPlace(int m, Operand opB) {
        return opB.colStride() == 1 && m <= MC && (opB.rowStride() * Float.BYTES) % 1024 != 0;
    }

    /**
     * C[m×n] (+)= op(A)·B, where B is the prepacked panels {@code pb} at {@code pbOff} when {@code pb} is not null,
     * else {@code opB}.
     */
    static void multiply(int m, int n, int k, Operand opA, Operand opB, MemorySegment pb, long pbOff,
            MemorySegment c, long cOff, int ldc, boolean accumulate) {
        Scratch scratch = Scratch.get();
        boolean bInPlace = pb == null && readsBInPlace(m, opB);
        int kBlocks = Math.ceilDiv(k, KC);
        int kcMax = Math.ceilDiv(k, kBlocks);   // equal depth blocks: no short last block
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                boolean addToC = accumulate || pc > 0;
                MemorySegment bSeg;
                long bBase;
                long bPanel;
                long bRow;
                if (pb != null) {
                    bSeg = pb;
                    bBase = pbOff + (long) (jc / PackedPanels.B_COLUMNS) * PackedPanels.B_COLUMNS * k
                            + (long) PackedPanels.B_COLUMNS * pc;
                    bPanel = (long) PackedPanels.B_COLUMNS * k;
                    bRow = PackedPanels.B_COLUMNS;
                } else if (bInPlace) {
                    bSeg = opB.segment();
                    bBase = opB.index(pc, jc);
                    bPanel = PackedPanels.B_COLUMNS;
                    bRow = opB.rowStride();
                } else {
                    bSeg = scratch.bPanels(PackedPanels.bFloats(kc, nc));
                    PackedPanels.packB(opB, pc, jc, kc, nc, bSeg, 0);
                    bBase = 0;
                    bPanel = (long) PackedPanels.B_COLUMNS * kc;
                    bRow = PackedPanels.B_COLUMNS;
                }
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    // The A block is copied row by row into a heap array: a scalar load from a float[] is a few IR
                    // nodes, one from a segment dozens, and six per depth step would push the micro-kernel past C2's
                    // inlining node budget (its vectors would then be boxed).
                    float[] aBlock = scratch.aBlock(mc * kc);
                    PackedPanels.copyRows(opA, ic, pc, mc, kc, aBlock);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr);
                        MemorySegment stripSeg = bSeg;
                        long b0;
                        long b1Delta;
                        long rowStep = bRow;
                        if (bInPlace && cols < NR) {
                            // The last strip of an in-place B: pack it, so no load reads past the rows' ends.
                            stripSeg = scratch.bPanels(PackedPanels.bFloats(kc, NR));
                            PackedPanels.packB(opB, pc, jc + jr, kc, cols, stripSeg, 0);
                            b0 = 0;
                            b1Delta = VL < PackedPanels.B_COLUMNS ? VL : (long) PackedPanels.B_COLUMNS * kc;
                            rowStep = PackedPanels.B_COLUMNS;
                        } else {
                            b0 = bBase + column(jr, bPanel);
                            b1Delta = jr + VL < nc ? column(jr + VL, bPanel) - column(jr, bPanel) : 0;
                        }
                        if (cols <= VL) {
                            b1Delta = 0;
                        }
                        for (int ir = 0; ir < mc; ir += MR) {
                            int rows = Math.min(MR, mc - ir);
                            microKernel(aBlock, ir * kc, kc, rows, stripSeg, b0, b1Delta, rowStep,
                                    c, cOff + (long) (ic + ir) * ldc + jc + jr, ldc, cols, addToC, scratch.tile);
                        }
                    }
                }
            }
        }
    }

    /** Where column {@code j} of a block starts, relative to the block's first column, in panels of {@code panel} floats. */
    private static long column(int j, long panel) {
        return (j / PackedPanels.B_COLUMNS) * panel + j % PackedPanels.B_COLUMNS;
    }

    /**
     * One MR×NR tile: C[tile] (+)= Σ_p A[0..rows, p] ⊗ (B[p, 0..VL), B[p, VL..2VL)), where row i of A is {@code kc}
     * floats of {@code a} from {@code a0 + i·kc}, the first B vector of depth p is at float {@code b0 + p·bRow} of
     * {@code pb} and the second {@code b1Delta} floats further on.
     */
    private static void microKernel(float[] a, int a0, int kc, int rows, MemorySegment pb, long b0, long b1Delta,
            long bRow, MemorySegment c, long cIndex, int ldc, int cols, boolean addToC, float[] tile) {
        // Rows past the last one repeat it; their sums are never stored.
        int a1 = a0 + Math.min(1, rows - 1) * kc;
        int a2 = a0 + Math.min(2, rows - 1) * kc;
        int a3 = a0 + Math.min(3, rows - 1) * kc;
        int a4 = a0 + Math.min(4, rows - 1) * kc;
        int a5 = a0 + Math.min(5, rows - 1) * kc;
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        long bi = b0 * Float.BYTES;
        long second = b1Delta * Float.BYTES;
        long bStep = bRow * Float.BYTES;
        for (int p = 0; p < kc; p++, bi += bStep) {
            FloatVector b0v = FloatVector.fromMemorySegment(SPECIES, pb, bi, ORDER);
            FloatVector b1v = FloatVector.fromMemorySegment(SPECIES, pb, bi + second, ORDER);
            FloatVector av = FloatVector.broadcast(SPECIES, a[a0 + p]);
            c00 = av.fma(b0v, c00);
            c01 = av.fma(b1v, c01);
            av = FloatVector.broadcast(SPECIES, a[a1 + p]);
            c10 = av.fma(b0v, c10);
            c11 = av.fma(b1v, c11);
            av = FloatVector.broadcast(SPECIES, a[a2 + p]);
            c20 = av.fma(b0v, c20);
            c21 = av.fma(b1v, c21);
            av = FloatVector.broadcast(SPECIES, a[a3 + p]);
            c30 = av.fma(b0v, c30);
            c31 = av.fma(b1v, c31);
            av = FloatVector.broadcast(SPECIES, a[a4 + p]);
            c40 = av.fma(b0v, c40);
            c41 = av.fma(b1v, c41);
            av = FloatVector.broadcast(SPECIES, a[a5 + p]);
            c50 = av.fma(b0v, c50);
            c51 = av.fma(b1v, c51);
        }
        if (rows == MR && cols == NR) {
            // Written out rather than through a helper: a vector passed to a method that C2 compiled on its own
            // (and so will not inline) is boxed.
            long r0 = cIndex * Float.BYTES;
            long row = (long) ldc * Float.BYTES;
            long hi = (long) VL * Float.BYTES;
            long r1 = r0 + row;
            long r2 = r1 + row;
            long r3 = r2 + row;
            long r4 = r3 + row;
            long r5 = r4 + row;
            if (addToC) {
                c00 = c00.add(FloatVector.fromMemorySegment(SPECIES, c, r0, ORDER));
                c01 = c01.add(FloatVector.fromMemorySegment(SPECIES, c, r0 + hi, ORDER));
                c10 = c10.add(FloatVector.fromMemorySegment(SPECIES, c, r1, ORDER));
                c11 = c11.add(FloatVector.fromMemorySegment(SPECIES, c, r1 + hi, ORDER));
                c20 = c20.add(FloatVector.fromMemorySegment(SPECIES, c, r2, ORDER));
                c21 = c21.add(FloatVector.fromMemorySegment(SPECIES, c, r2 + hi, ORDER));
                c30 = c30.add(FloatVector.fromMemorySegment(SPECIES, c, r3, ORDER));
                c31 = c31.add(FloatVector.fromMemorySegment(SPECIES, c, r3 + hi, ORDER));
                c40 = c40.add(FloatVector.fromMemorySegment(SPECIES, c, r4, ORDER));
                c41 = c41.add(FloatVector.fromMemorySegment(SPECIES, c, r4 + hi, ORDER));
                c50 = c50.add(FloatVector.fromMemorySegment(SPECIES, c, r5, ORDER));
                c51 = c51.add(FloatVector.fromMemorySegment(SPECIES, c, r5 + hi, ORDER));
            }
            c00.intoMemorySegment(c, r0, ORDER);
            c01.intoMemorySegment(c, r0 + hi, ORDER);
            c10.intoMemorySegment(c, r1, ORDER);
            c11.intoMemorySegment(c, r1 + hi, ORDER);
            c20.intoMemorySegment(c, r2, ORDER);
            c21.intoMemorySegment(c, r2 + hi, ORDER);
            c30.intoMemorySegment(c, r3, ORDER);
            c31.intoMemorySegment(c, r3 + hi, ORDER);
            c40.intoMemorySegment(c, r4, ORDER);
            c41.intoMemorySegment(c, r4 + hi, ORDER);
            c50.intoMemorySegment(c, r5, ORDER);
            c51.intoMemorySegment(c, r5 + hi, ORDER);
            return;
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, VL);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + VL);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + VL);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + VL);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + VL);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + VL);
        writeClipped(tile, NR, c, cIndex, ldc, rows, cols, addToC);
    }

    /** Copies (or adds) the top-left rows×cols of a tile with rows {@code width} floats apart into C. */
    private static void writeClipped(float[] tile, int width, MemorySegment c, long cIndex, int ldc, int rows, int cols,
            boolean addToC) {
        for (int r = 0; r < rows; r++) {
            long row = cIndex + (long) r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = tile[r * width + j];
                if (addToC) {
                    v += c.getAtIndex(JAVA_FLOAT_UNALIGNED, row + j);
                }
                c.setAtIndex(JAVA_FLOAT_UNALIGNED, row + j, v);
            }
        }
    }

    /**
     * C[m×n] (+)= A·B for a few rows of A against a prepacked B: each row of C is four vectors of columns at a time,
     * the depth unrolled by two (eight accumulators), reading A in place. For batch-1 dense layers (a GEMV).
     */
    static void multiplyRows(int m, int n, int k, Operand a, MemorySegment pb, long pbOff, MemorySegment c, long cOff,
            int ldc, boolean accumulate) {
        float[] tile = Scratch.get().tile;
        long panel = (long) PackedPanels.B_COLUMNS * k;
        int width = 4 * VL;
        long rowStep = PackedPanels.B_COLUMNS * Float.BYTES;
        int lastVector = (n - 1) / VL * VL;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j += width) {
                int cols = Math.min(width, n - j);
                // Vectors past the last column repeat the last one; their sums are never stored.
                long q0 = (pbOff + column(j, panel)) * Float.BYTES;
                long q1 = (pbOff + column(Math.min(j + VL, lastVector), panel)) * Float.BYTES;
                long q2 = (pbOff + column(Math.min(j + 2 * VL, lastVector), panel)) * Float.BYTES;
                long q3 = (pbOff + column(Math.min(j + 3 * VL, lastVector), panel)) * Float.BYTES;
                FloatVector s0 = FloatVector.zero(SPECIES);
                FloatVector s1 = s0;
                FloatVector s2 = s0;
                FloatVector s3 = s0;
                FloatVector t0 = s0;
                FloatVector t1 = s0;
                FloatVector t2 = s0;
                FloatVector t3 = s0;
                int p = 0;
                long o = 0;
                for (; p + 1 < k; p += 2, o += 2 * rowStep) {
                    FloatVector av = FloatVector.broadcast(SPECIES, a.get(i, p));
                    s0 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q0 + o, ORDER), s0);
                    s1 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q1 + o, ORDER), s1);
                    s2 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q2 + o, ORDER), s2);
                    s3 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q3 + o, ORDER), s3);
                    FloatVector aw = FloatVector.broadcast(SPECIES, a.get(i, p + 1));
                    t0 = aw.fma(FloatVector.fromMemorySegment(SPECIES, pb, q0 + o + rowStep, ORDER), t0);
                    t1 = aw.fma(FloatVector.fromMemorySegment(SPECIES, pb, q1 + o + rowStep, ORDER), t1);
                    t2 = aw.fma(FloatVector.fromMemorySegment(SPECIES, pb, q2 + o + rowStep, ORDER), t2);
                    t3 = aw.fma(FloatVector.fromMemorySegment(SPECIES, pb, q3 + o + rowStep, ORDER), t3);
                }
                if (p < k) {
                    FloatVector av = FloatVector.broadcast(SPECIES, a.get(i, p));
                    s0 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q0 + o, ORDER), s0);
                    s1 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q1 + o, ORDER), s1);
                    s2 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q2 + o, ORDER), s2);
                    s3 = av.fma(FloatVector.fromMemorySegment(SPECIES, pb, q3 + o, ORDER), s3);
                }
                s0 = s0.add(t0);
                s1 = s1.add(t1);
                s2 = s2.add(t2);
                s3 = s3.add(t3);
                long at = cOff + (long) i * ldc + j;
                if (cols == width) {
                    long bytes = at * Float.BYTES;
                    long step = (long) VL * Float.BYTES;
                    if (accumulate) {
                        s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, c, bytes, ORDER));
                        s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, c, bytes + step, ORDER));
                        s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, c, bytes + 2 * step, ORDER));
                        s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, c, bytes + 3 * step, ORDER));
                    }
                    s0.intoMemorySegment(c, bytes, ORDER);
                    s1.intoMemorySegment(c, bytes + step, ORDER);
                    s2.intoMemorySegment(c, bytes + 2 * step, ORDER);
                    s3.intoMemorySegment(c, bytes + 3 * step, ORDER);
                } else {
                    s0.intoArray(tile, 0);
                    s1.intoArray(tile, VL);
                    s2.intoArray(tile, 2 * VL);
                    s3.intoArray(tile, 3 * VL);
                    writeClipped(tile, width, c, at, ldc, 1, cols, accumulate);
                }
            }
        }
    }
}

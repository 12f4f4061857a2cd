package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import dev.nnc.kernels.Gemm.Operand;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM path for larger problems: Goto-style cache blocking with packed panels and a
 * {@value #MR}×(2 vectors) register-blocked micro-kernel.
 *
 * <p>Loops, outermost first: columns of C in blocks of {@link #NC}; depth in blocks of {@link #KC}
 * (B block packed into NR-wide panels, kept in L2/L3); rows in blocks of {@link #MC} (A block packed
 * into MR-high panels, kept in L2); then one B panel (KC×NR, in L1) against every A panel. Panels are
 * zero-padded, so the micro-kernel always runs a full tile and only the write-back to C is clipped.
 */
final class GemmBlocked {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VL = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Rows of C per micro-tile. */
    static final int MR = 4;
    /** Columns of C per micro-tile: two vectors. */
    static final int NR = 2 * VL;
    /** Depth of one packed block. */
    static final int KC = 256;
    /** Rows of A per packed block. */
    static final int MC = 30 * MR;
    /** Columns of B per packed block. */
    static final int NC = 128 * NR;

    /** Per-thread packing buffers, bounded by the block sizes: KC·NC + KC·MC floats (2.1 MB with AVX2). */
    private static final ThreadLocal<PackBuffers> BUFFERS = ThreadLocal.withInitial(PackBuffers::new);

    private GemmBlocked() {
    }

    static void multiply(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, int ldc,
            boolean accumulate) {
        PackBuffers buffers = BUFFERS.get();
        int ncMax = Math.min(NC, n);
        int kcMax = Math.min(KC, k);
        int mcMax = Math.min(MC, m);
        float[] packedB = buffers.packedB(kcMax * roundUp(ncMax, NR));
        float[] packedA = buffers.packedA(kcMax * roundUp(mcMax, MR));
        float[] strip = buffers.strip(Math.max(Math.max(ncMax, mcMax), kcMax));
        float[] tile = buffers.tile(MR * NR);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean addToC = accumulate || pc > 0;
                Packer.pack(b.segment(), b.index(pc, jc), b.rowStride(), b.colStride(), kc, nc, NR,
                        packedB, strip);
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    Packer.pack(a.segment(), a.index(ic, pc), a.colStride(), a.rowStride(), kc, mc, MR,
                            packedA, strip);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr);
                        int bBase = (jr / NR) * kc * NR;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int rows = Math.min(MR, mc - ir);
                            long cIndex = cOff + (long) (ic + ir) * ldc + jc + jr;
                            microKernel(packedA, (ir / MR) * kc * MR, packedB, bBase, kc,
                                    c, cIndex, ldc, rows, cols, addToC, tile);
                        }
                    }
                }
            }
        }
    }

    /** One MR×NR tile: C[tile] (+)= Σ_p packedA[p, 0..MR) ⊗ packedB[p, 0..NR). */
    private static void microKernel(float[] pa, int aBase, float[] pb, int bBase, int kc,
            MemorySegment c, long cIndex, int ldc, int rows, int cols, boolean addToC, float[] tile) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        int ai = aBase;
        int bi = bBase;
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bi + VL);
            FloatVector av = FloatVector.broadcast(SPECIES, pa[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, pa[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, pa[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, pa[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        if (rows == MR && cols == NR) {
            storeRow(c, cIndex, c00, c01, addToC);
            storeRow(c, cIndex + ldc, c10, c11, addToC);
            storeRow(c, cIndex + 2L * ldc, c20, c21, addToC);
            storeRow(c, cIndex + 3L * ldc, c30, c31, addToC);
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
        for (int r = 0; r < rows; r++) {
            long row = cIndex + (long) r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = tile[r * NR + j];
                if (addToC) {
                    v += c.getAtIndex(JAVA_FLOAT_UNALIGNED, row + j);
                }
                c.setAtIndex(JAVA_FLOAT_UNALIGNED, row + j, v);
            }
        }
    }

    private static void storeRow(MemorySegment c, long index, FloatVector lo, FloatVector hi, boolean addToC) {
        long at = index * Float.BYTES;
        long atHi = at + (long) VL * Float.BYTES;
        if (addToC) {
            lo = lo.add(FloatVector.fromMemorySegment(SPECIES, c, at, ORDER));
            hi = hi.add(FloatVector.fromMemorySegment(SPECIES, c, atHi, ORDER));
        }
        lo.intoMemorySegment(c, at, ORDER);
        hi.intoMemorySegment(c, atHi, ORDER);
    }

    private static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}

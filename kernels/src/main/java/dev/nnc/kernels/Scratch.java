package dev.nnc.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One thread's reusable GEMM workspace: the operand views of the call it is running, and scratch memory for
 * {@link GemmBlocked} that grows to the largest size asked for and is then reused, so a warmed-up GEMM allocates
 * nothing. Not thread-safe: one per thread.
 */
final class Scratch {

    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);
    private static final long ALIGNMENT = 64;

    /** The views of A and B of the GEMM this thread is running. */
    final Gemm.Operand a = new Gemm.Operand();
    final Gemm.Operand b = new Gemm.Operand();

    /** A tile of C for clipped write-backs: room for the largest micro-tile (6 rows × 2 vectors; a GEMV's 4 vectors fit). */
    final float[] tile = new float[GemmBlocked.MR * GemmBlocked.NR];

    private float[] aBlock = new float[0];
    private MemorySegment bPanels = MemorySegment.NULL;

    static Scratch get() {
        return PER_THREAD.get();
    }

    /** A heap array of at least {@code floats} floats for a block of A. */
    float[] aBlock(int floats) {
        if (aBlock.length < floats) {
            aBlock = new float[floats];
        }
        return aBlock;
    }

    /** 64-byte aligned memory of at least {@code floats} floats for B packed as panels (a block, or an edge strip). */
    MemorySegment bPanels(long floats) {
        if (bPanels.byteSize() < floats * Float.BYTES) {
            bPanels = Arena.ofAuto().allocate(floats * Float.BYTES, ALIGNMENT);
        }
        return bPanels;
    }
}

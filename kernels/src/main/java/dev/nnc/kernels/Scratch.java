package dev.nnc.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One thread's reusable GEMM workspace: operand views and 64-byte aligned scratch memory for {@link GemmBlocked}: each segment grows to the largest size
 * asked for and is then reused, so a warmed-up GEMM allocates nothing. Not thread-safe: one per thread.
 */
final class Scratch {

    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);
    private static final long ALIGNMENT = 64;

    /** The views of A and B of the GEMM this thread is running. */
    final Gemm.Operand a = new Gemm.Operand();
    final Gemm.Operand b = new Gemm.Operand();

    /** A tile of C for clipped write-backs: room for every micro-kernel's tile. */
    final float[] tile = new float[Math.max(GemmBlocked.MR * GemmBlocked.NR, 4 * GemmBlocked.NR)];

    private float[] aBlock = new float[0];
    private MemorySegment packedB = MemorySegment.NULL;
    private MemorySegment edge = MemorySegment.NULL;

    static Scratch get() {
        return PER_THREAD.get();
    }

    float[] aBlock(int floats) {
        if (aBlock.length < floats) {
            aBlock = new float[floats];
        }
        return aBlock;
    }

    MemorySegment packedB(long floats) {
        if (packedB.byteSize() < floats * Float.BYTES) {
            packedB = allocate(floats);
        }
        return packedB;
    }

    MemorySegment edge(long floats) {
        if (edge.byteSize() < floats * Float.BYTES) {
            edge = allocate(floats);
        }
        return edge;
    }

    /** Memory that lives as long as this thread's scratch is reachable. */
    private static MemorySegment allocate(long floats) {
        return Arena.ofAuto().allocate(floats * Float.BYTES, ALIGNMENT);
    }
}

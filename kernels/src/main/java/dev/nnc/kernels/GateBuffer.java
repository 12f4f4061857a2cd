package dev.nnc.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One thread's reusable native segment for the LSTM forward pass's gate pre-activations [n, 4h] of one
 * time step; it grows to the largest size asked for and is then reused, and the garbage collector frees
 * it with its thread. Not thread-safe: held in a {@link ThreadLocal}.
 */
final class GateBuffer {

    private static final long ALIGNMENT = 64;

    private MemorySegment segment = MemorySegment.NULL;

    /** A segment of at least {@code floats} floats whose contents are unspecified. */
    MemorySegment floats(long floats) {
        long bytes = floats * Float.BYTES;
        if (segment.byteSize() < bytes) {
            segment = Arena.ofAuto().allocate(bytes, ALIGNMENT);
        }
        return segment;
    }
}

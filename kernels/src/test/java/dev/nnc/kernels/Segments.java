package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Test helper that allocates float segments and moves data between them and double arrays. */
final class Segments {

    private Segments() {
    }

    /**
     * A segment of {@code floats} floats that starts 4 bytes past a 64-byte boundary, like a tensor in a
     * memory-mapped safetensors file, filled with uniform values in [−1, 1).
     */
    static MemorySegment random(Arena arena, long floats, Random random) {
        MemorySegment s = arena.allocate(floats * Float.BYTES + 4, 64).asSlice(4, floats * Float.BYTES);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, random.nextFloat() * 2f - 1f);
        }
        return s;
    }

    static MemorySegment filled(Arena arena, long floats, float value) {
        MemorySegment s = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, value);
        }
        return s;
    }

    static double get(MemorySegment s, long index) {
        return s.getAtIndex(JAVA_FLOAT_UNALIGNED, index);
    }

    static float[] toArray(MemorySegment s) {
        return s.toArray(JAVA_FLOAT_UNALIGNED);
    }
}

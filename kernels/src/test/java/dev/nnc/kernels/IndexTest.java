package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Checks {@link Index#oneHot}: exact 0/1 rows, int offsets for labels, zero rows for out-of-range labels. */
class IndexTest {

    @Test
    void oneHotWritesOneOnePerRowAndZeroRowsForInvalidLabels() {
        int[] labels = {99, 2, 0, 3, -1, 4, 1};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment labelSegment = arena.allocate((long) labels.length * Integer.BYTES + 2, 64).asSlice(2);
            for (int i = 0; i < labels.length; i++) {
                labelSegment.setAtIndex(JAVA_INT_UNALIGNED, i, labels[i]);
            }
            MemorySegment out = Segments.filled(arena, 1 + 5 * 4 + 1, Float.NaN);
            Index.oneHot(5, 4, labelSegment, 1, out, 1);
            float nan = Float.NaN;
            assertArrayEquals(new float[] {
                nan,
                0, 0, 1, 0,
                1, 0, 0, 0,
                0, 0, 0, 1,
                0, 0, 0, 0,
                0, 0, 0, 0,
                nan}, Segments.toArray(out));
        }
    }
}

package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import dev.nnc.kernels.Gemm.Operand;
import java.lang.foreign.MemorySegment;

/**
 * The panel layout in which the GEMM micro-kernel reads B, the same on every machine (so a compiler can size and
 * place it ahead of time), and the code that fills it and copies blocks of A.
 *
 * <p><b>B panels</b> (the k×n right operand): ⌈n / {@value #B_COLUMNS}⌉ panels; panel q holds, for each depth p, the
 * {@value #B_COLUMNS} values B(p, 16q + j), j = 0…15. Element (p, j) is float (j / 16)·16k + 16p + j % 16; columns
 * past n are zero. A vector of up to 16 lanes starting at a multiple of its length never crosses a panel.
 */
final class PackedPanels {

    /** Columns per B panel. */
    static final int B_COLUMNS = 16;

    private PackedPanels() {
    }

    /** Floats that a k×n B takes as panels. */
    static long bFloats(long k, long n) {
        return Math.multiplyExact(Math.ceilDiv(n, B_COLUMNS) * B_COLUMNS, k);
    }

    /** Copies rows [row0, row0 + rows) × depths [p0, p0 + depth) of {@code a} into {@code dst}, row-major, {@code depth} floats a row. */
    static void copyRows(Operand a, int row0, int p0, int rows, int depth, float[] dst) {
        if (a.colStride() == 1) {
            for (int i = 0; i < rows; i++) {
                MemorySegment.copy(a.segment(), JAVA_FLOAT_UNALIGNED, a.index(row0 + i, p0) * Float.BYTES, dst, i * depth, depth);
            }
            return;
        }
        for (int p = 0; p < depth; p++) {
            for (int i = 0; i < rows; i++) {
                dst[i * depth + p] = a.get(row0 + i, p0 + p);
            }
        }
    }

    /** Packs depths [p0, p0 + depth) × columns [col0, col0 + cols) of {@code b} as B panels at float {@code dstOff}. */
    static void packB(Operand b, int p0, int col0, int depth, int cols, MemorySegment dst, long dstOff) {
        int panels = Math.ceilDiv(cols, B_COLUMNS);
        for (int q = 0; q < panels; q++) {
            long panel = dstOff + (long) q * B_COLUMNS * depth;
            int first = q * B_COLUMNS;
            int width = Math.min(B_COLUMNS, cols - first);
            if (b.colStride() == 1) {
                for (int p = 0; p < depth; p++) {
                    long to = panel + (long) p * B_COLUMNS;
                    MemorySegment.copy(b.segment(), JAVA_FLOAT_UNALIGNED, b.index(p0 + p, col0 + first) * Float.BYTES,
                            dst, JAVA_FLOAT_UNALIGNED, to * Float.BYTES, width);
                    for (int j = width; j < B_COLUMNS; j++) {
                        dst.setAtIndex(JAVA_FLOAT_UNALIGNED, to + j, 0f);
                    }
                }
            } else {
                for (int j = 0; j < B_COLUMNS; j++) {
                    for (int p = 0; p < depth; p++) {
                        float v = j < width ? b.get(p0 + p, col0 + first + j) : 0f;
                        dst.setAtIndex(JAVA_FLOAT_UNALIGNED, panel + (long) p * B_COLUMNS + j, v);
                    }
                }
            }
        }
    }
}

package dev.nnc.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Copies a block of a strided matrix into zero-padded panels laid out for the GEMM micro-kernel.
 *
 * <p>The block has {@code depth} rows (the k direction) and {@code width} columns; element (d, w) is
 * float {@code offset + d·depthStride + w·widthStride} of the source. The destination holds
 * ⌈width / panelWidth⌉ panels one after another; panel q stores, for each d, the panelWidth values
 * (d, q·panelWidth …) contiguously, with columns past {@code width} set to zero.
 */
final class Packer {

    private Packer() {
    }

    /** Packs the block; one of the two strides must be 1. {@code strip} holds ≥ max(depth, width) floats. */
    static void pack(MemorySegment src, long offset, long depthStride, long widthStride, int depth, int width,
            int panelWidth, float[] dst, float[] strip) {
        int panels = (width + panelWidth - 1) / panelWidth;
        int lastWidth = width - (panels - 1) * panelWidth;
        if (widthStride == 1) {
            for (int d = 0; d < depth; d++) {
                MemorySegment.copy(src, JAVA_FLOAT_UNALIGNED, (offset + d * depthStride) * Float.BYTES,
                        strip, 0, width);
                for (int q = 0; q < panels; q++) {
                    int to = (q * depth + d) * panelWidth;
                    int count = q == panels - 1 ? lastWidth : panelWidth;
                    System.arraycopy(strip, q * panelWidth, dst, to, count);
                    if (count < panelWidth) {
                        Arrays.fill(dst, to + count, to + panelWidth, 0f);
                    }
                }
            }
        } else if (depthStride == 1) {
            for (int w = 0; w < width; w++) {
                MemorySegment.copy(src, JAVA_FLOAT_UNALIGNED, (offset + w * widthStride) * Float.BYTES,
                        strip, 0, depth);
                int to = (w / panelWidth) * depth * panelWidth + w % panelWidth;
                for (int d = 0; d < depth; d++) {
                    dst[to + d * panelWidth] = strip[d];
                }
            }
            for (int w = width; w < panels * panelWidth; w++) {
                int to = (w / panelWidth) * depth * panelWidth + w % panelWidth;
                for (int d = 0; d < depth; d++) {
                    dst[to + d * panelWidth] = 0f;
                }
            }
        } else {
            throw new IllegalArgumentException("one stride must be 1, got " + depthStride + ", " + widthStride);
        }
    }
}

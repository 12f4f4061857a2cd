package dev.nnc.compiler.kernel;

import java.util.HashMap;
import java.util.Map;

/**
 * Byte offsets of every buffer: arena buffers within the session arena, weight buffers within the data
 * section of {@code weights.safetensors}. Arena buffers are 64-byte aligned and sized for the maximum batch.
 */
public record MemoryPlan(Map<Integer, Long> byteOffsets, long arenaBytes) {

    /** Alignment of every arena buffer: one cache line, so vector loads never split lines. */
    public static final int ALIGNMENT = 64;

    public MemoryPlan {
        byteOffsets = Map.copyOf(byteOffsets);
    }

    /**
     * The simplest plan: every arena buffer gets its own region, in program order (no reuse).
     * {@code weightOffsets} are the byte offsets of the parameters in {@code weights.safetensors}, by name.
     */
    public static MemoryPlan separate(KernelProgram program, Map<String, Long> weightOffsets) {
        Map<Integer, Long> offsets = new HashMap<>();
        long next = 0;
        for (Buffer b : program.buffers()) {
            if (b.memory() == Buffer.Memory.ARENA) {
                offsets.put(b.id(), next);
                next = align(next + 4 * b.floatsAt(program.maxBatch()));
            }
        }
        program.params().forEach((name, b) -> {
            Long offset = weightOffsets.get(name);
            if (offset == null) throw new IllegalArgumentException("no weights offset for parameter " + name);
            offsets.put(b.id(), offset);
        });
        return new MemoryPlan(offsets, next);
    }

    /** Byte offset of {@code b}. */
    public long offset(Buffer b) {
        Long o = byteOffsets.get(b.id());
        if (o == null) throw new IllegalArgumentException("buffer " + b + " is not planned");
        return o;
    }

    /** Float index of {@code o} within its segment. */
    public long floatIndex(Operand o) {
        long bytes = offset(o.buffer());
        if (bytes % 4 != 0) throw new IllegalStateException("buffer " + o.buffer() + " is not float-aligned");
        return bytes / 4 + o.offset();
    }

    public static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}

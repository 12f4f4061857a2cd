package dev.nnc.compiler.kernel;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Byte offsets of every buffer: arena buffers within the session arena, weight buffers within the data
 * section of {@code weights.safetensors}. Arena buffers are 64-byte aligned and sized for the maximum batch.
 * The plan also says how much memory it saves ({@code statistics}).
 */
public record MemoryPlan(Map<Integer, Long> byteOffsets, long arenaBytes, Statistics statistics) {

    /** Alignment of every arena buffer: one cache line, so vector loads never split lines. */
    public static final int ALIGNMENT = 64;

    /**
     * How good an arena layout is.
     *
     * @param naiveBytes      the arena with no reuse: every buffer's aligned size, summed
     * @param plannedBytes    the arena this plan needs
     * @param lowerBoundBytes the most aligned bytes live at one step, which no plan can beat
     */
    public record Statistics(long naiveBytes, long plannedBytes, long lowerBoundBytes) {
        public Statistics {
            if (lowerBoundBytes < 0 || lowerBoundBytes > plannedBytes || plannedBytes > naiveBytes) {
                throw new IllegalArgumentException("need 0 ≤ lower bound " + lowerBoundBytes + " ≤ planned " + plannedBytes + " ≤ naive " + naiveBytes);
            }
        }

        /** {@code lowerBound / planned}; an empty arena counts as 1. */
        public double efficiency() {
            return plannedBytes == 0 ? 1.0 : (double) lowerBoundBytes / plannedBytes;
        }

        /** {@code naive <bytes>  planned <bytes>  lower bound <bytes>  efficiency 0.xx}. */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "naive %d  planned %d  lower bound %d  efficiency %.2f", naiveBytes, plannedBytes, lowerBoundBytes, efficiency());
        }
    }

    public MemoryPlan {
        byteOffsets = Map.copyOf(byteOffsets);
        Objects.requireNonNull(statistics, "statistics");
        if (statistics.plannedBytes() != arenaBytes) {
            throw new IllegalArgumentException("statistics plan " + statistics.plannedBytes() + " bytes but the arena has " + arenaBytes);
        }
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
        addWeights(program, weightOffsets, offsets);
        long lowerBound = MemoryPlanner.lowerBound(Liveness.of(program).requests(), List.of());
        return new MemoryPlan(offsets, next, new Statistics(next, next, lowerBound));
    }

    /**
     * The {@code -O2} plan: arena buffers share memory when their lifetimes ({@link Liveness}) are disjoint, and an
     * elementwise loop writes over an input that dies there ({@link MemoryPlanner}). {@code weightOffsets} as for
     * {@link #separate}.
     */
    public static MemoryPlan planned(KernelProgram program, Map<String, Long> weightOffsets) {
        Liveness.Lifetimes lifetimes = Liveness.of(program);
        MemoryPlanner.Layout layout = MemoryPlanner.plan(lifetimes.requests(), lifetimes.inPlace());
        Map<Integer, Long> offsets = new HashMap<>(layout.offsets());
        addWeights(program, weightOffsets, offsets);
        return new MemoryPlan(offsets, layout.plannedBytes(),
                new Statistics(layout.naiveBytes(), layout.plannedBytes(), layout.lowerBoundBytes()));
    }

    private static void addWeights(KernelProgram program, Map<String, Long> weightOffsets, Map<Integer, Long> offsets) {
        program.params().forEach((name, b) -> {
            Long offset = weightOffsets.get(name);
            if (offset == null) throw new IllegalArgumentException("no weights offset for parameter " + name);
            offsets.put(b.id(), offset);
        });
    }

    /**
     * The plan as text ({@code --emit plan}): one line per arena buffer with its bytes, lifetime and offset, then
     * the statistics line. {@code program} must be the program this plan was made for.
     */
    public String print(KernelProgram program) {
        StringBuilder sb = new StringBuilder("plan ").append(program.name()).append("(max_batch=").append(program.maxBatch()).append(") {\n");
        for (Liveness.Lifetime l : Liveness.of(program).buffers()) {
            sb.append(String.format(Locale.ROOT, "  %-28s %12d B  steps %4d..%-4d  offset %d\n",
                    l.buffer(), l.bytes(), l.first(), l.last(), offset(l.buffer())));
        }
        return sb.append("}\n").append(statistics).append('\n').toString();
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

package dev.nnc.compiler.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Finds, for a kernel program, the steps during which every arena buffer holds data someone will read, and the
 * elementwise loop kernels that may write their output over an input that dies there. The answer is what
 * {@link MemoryPlanner} consumes. Weight buffers (including parameters a training step stores into) are not
 * analysed: they live in the weights segment, outside the arena. Stateless and thread-safe.
 */
public final class Liveness {

    private Liveness() {}

    /** {@code buffer} needs {@code bytes} (at the program's maximum batch) from step {@code first} to {@code last}, inclusive. */
    public record Lifetime(Buffer buffer, long bytes, int first, int last) {
        public Lifetime {
            Objects.requireNonNull(buffer);
            if (buffer.memory() != Buffer.Memory.ARENA) throw new IllegalArgumentException(buffer + " is not an arena buffer");
            if (bytes < 0 || first < 0 || last < first) throw new IllegalArgumentException("bad lifetime of " + buffer + ": " + bytes + " bytes, " + first + ".." + last);
        }

        MemoryPlanner.Request request() {
            return new MemoryPlanner.Request(buffer.id(), bytes, first, last);
        }
    }

    /**
     * Every arena buffer's lifetime, in buffer order, and the in-place candidates as (output, input) buffer ids:
     * each is a loop kernel whose output has its input's size and reads it element for element at the input's last use.
     */
    public record Lifetimes(List<Lifetime> buffers, List<MemoryPlanner.InPlace> inPlace) {
        public Lifetimes {
            buffers = List.copyOf(buffers);
            inPlace = List.copyOf(inPlace);
        }

        /** The planner's view: one request per buffer, keyed by buffer id. */
        public List<MemoryPlanner.Request> requests() {
            return buffers.stream().map(Lifetime::request).toList();
        }

        /** The lifetime of arena buffer {@code b}. */
        public Lifetime of(Buffer b) {
            return buffers.stream().filter(l -> l.buffer().id() == b.id()).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(b + " is not an arena buffer of this program"));
        }
    }

    /**
     * Analyses {@code program}. Graph inputs are live from step 0 (the session writes them before the first kernel),
     * outputs until the last step (the session reads them after it), every other buffer from its first to its last
     * reference. A buffer no kernel references and that is neither input nor output gets step 0 alone.
     */
    public static Lifetimes of(KernelProgram program) {
        int lastStep = Math.max(0, program.kernels().size() - 1);
        Map<Integer, Integer> first = new HashMap<>();
        Map<Integer, Integer> last = new HashMap<>();
        Set<Integer> inputs = ids(program.inputs().values());
        Set<Integer> outputs = ids(program.outputs().values());
        for (int id : inputs) {
            first.put(id, 0);
            last.put(id, 0);
        }
        for (int step = 0; step < program.kernels().size(); step++) {
            for (Use u : program.kernels().get(step).uses()) {
                first.putIfAbsent(u.operand().buffer().id(), step);
                last.put(u.operand().buffer().id(), step);
            }
        }
        for (int id : outputs) {
            first.putIfAbsent(id, 0);
            last.put(id, lastStep);
        }
        List<Lifetime> lifetimes = new ArrayList<>();
        for (Buffer b : program.buffers()) {
            if (b.memory() != Buffer.Memory.ARENA) continue;
            lifetimes.add(new Lifetime(b, 4 * b.floatsAt(program.maxBatch()), first.getOrDefault(b.id(), 0), last.getOrDefault(b.id(), 0)));
        }
        List<MemoryPlanner.InPlace> inPlace = new ArrayList<>();
        for (int step = 0; step < program.kernels().size(); step++) {
            if (!(program.kernels().get(step) instanceof Kernel.Loop loop)) continue;
            Buffer out = loop.out().buffer();
            if (out.memory() != Buffer.Memory.ARENA || !Integer.valueOf(step).equals(first.get(out.id())) || inputs.contains(out.id())) continue;
            for (Buffer in : elementwiseInputs(loop)) {
                if (in.memory() == Buffer.Memory.ARENA && in.size().equals(out.size()) && Integer.valueOf(step).equals(last.get(in.id()))
                        && !inputs.contains(in.id()) && !outputs.contains(in.id())) {
                    inPlace.add(new MemoryPlanner.InPlace(out.id(), in.id()));
                    break;
                }
            }
        }
        return new Lifetimes(lifetimes, inPlace);
    }

    /**
     * The buffers, other than its output, that {@code loop} reads only element for element: every load of them is
     * outside a reduction, starts where the output starts and has exactly the output's strides, so each element is
     * read before the same element of the output is written and never after.
     */
    private static List<Buffer> elementwiseInputs(Kernel.Loop loop) {
        Map<Integer, Buffer> candidates = new LinkedHashMap<>();
        Set<Integer> disqualified = new HashSet<>();
        disqualified.add(loop.out().buffer().id());
        long[] outStrides = loop.outStrides();
        for (LoopExprs.Site l : LoopExprs.sites(loop.value())) {
            Operand src = l.load().src();
            int id = src.buffer().id();
            boolean pointwise = !l.inReduction() && src.offset() == loop.out().offset() && Arrays.equals(l.load().strides(), outStrides);
            if (pointwise) candidates.putIfAbsent(id, src.buffer());
            else disqualified.add(id);
        }
        disqualified.forEach(candidates::remove);
        return List.copyOf(candidates.values());
    }

    private static Set<Integer> ids(Iterable<Operand> operands) {
        Set<Integer> ids = new HashSet<>();
        for (Operand o : operands) ids.add(o.buffer().id());
        return ids;
    }
}

package dev.nnc.compiler.kernel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Places opaque, sized handles with lifetimes in one arena so that handles live at the same step never share an
 * address, reusing memory between handles whose lifetimes are disjoint. It knows nothing of buffers or kernels: its
 * input is a list of (handle, bytes, first step, last step) and optional in-place pairs; its output is a 64-byte
 * aligned offset per handle and the statistics that say how good the placement is. Stateless and thread-safe.
 *
 * <p>Placement is best fit by decreasing size (the lowest-addressed smallest gap free over the whole lifetime), as
 * in DESIGN.md §4; because greedy placement depends on order, a few orders and gap rules are tried and the smallest
 * arena is kept.
 */
public final class MemoryPlanner {

    private MemoryPlanner() {}

    /** A handle that needs {@code bytes} of memory from step {@code first} to step {@code last}, both inclusive. */
    public record Request(int handle, long bytes, int first, int last) {
        public Request {
            if (bytes < 0) throw new IllegalArgumentException("handle " + handle + " needs negative bytes " + bytes);
            if (first < 0 || last < first) throw new IllegalArgumentException("handle " + handle + " has an empty lifetime " + first + ".." + last);
        }

        long alignedBytes() {
            return MemoryPlan.align(bytes);
        }
    }

    /**
     * {@code output} may take {@code input}'s place: legal when {@code input}'s last step is {@code output}'s first
     * (the step reads each element of the input before writing the same element of the output).
     */
    public record InPlace(int output, int input) {
        public InPlace {
            if (output == input) throw new IllegalArgumentException("handle " + output + " cannot take its own place");
        }
    }

    /**
     * Where every handle lives and how good that is.
     *
     * @param offsets         byte offset of every handle, a multiple of {@link MemoryPlan#ALIGNMENT}
     * @param plannedBytes    the arena this placement needs
     * @param naiveBytes      the arena with no reuse: the sum of every handle's aligned size
     * @param lowerBoundBytes the most aligned bytes live at any one step (honoured in-place pairs counted once), which
     *                        no placement can beat
     * @param inPlace         the in-place pairs that were honoured
     */
    public record Layout(Map<Integer, Long> offsets, long plannedBytes, long naiveBytes, long lowerBoundBytes, List<InPlace> inPlace) {
        public Layout {
            offsets = Map.copyOf(offsets);
            inPlace = List.copyOf(inPlace);
            if (lowerBoundBytes > plannedBytes || plannedBytes > naiveBytes) {
                throw new IllegalArgumentException("need lower bound " + lowerBoundBytes + " ≤ planned " + plannedBytes + " ≤ naive " + naiveBytes);
            }
        }

        /** {@code lowerBound / planned}: 1 means no placement could use less memory; an empty arena counts as 1. */
        public double efficiency() {
            return plannedBytes == 0 ? 1.0 : (double) lowerBoundBytes / plannedBytes;
        }
    }

    /** Handles that share one region: an in-place chain, each member taking the previous one's place. */
    private record Group(List<Request> members, long bytes, int first, int last) {
        int length() {
            return last - first + 1;
        }

        int leader() {
            return members.getFirst().handle();
        }
    }

    /** Where a group was put: {@code [offset, offset + bytes)} over its lifetime. */
    private record Placed(Group group, long offset) {
        long end() {
            return offset + group.bytes();
        }
    }

    /** The rule that picks among the gaps a group fits in. */
    private enum GapRule { SMALLEST, LOWEST }

    /**
     * The orders groups are placed in, given each group's pressure (the most bytes live at any step of its
     * lifetime). The first is DESIGN.md's; the others rescue programs where it is poor: by pressure is TFLite's
     * "greedy by breadth" (fill the busiest steps first), the rest weigh size against lifetime.
     */
    private static List<Comparator<Group>> orders(List<Group> groups, Map<Group, Long> pressure) {
        Comparator<Group> bySize = Comparator.comparingLong(Group::bytes).reversed();
        List<Comparator<Group>> orders = new ArrayList<>(List.of(
                bySize.thenComparingInt(Group::first),
                Comparator.comparingLong((Group g) -> pressure.get(g)).reversed().thenComparing(bySize).thenComparingInt(Group::first),
                Comparator.comparingLong((Group g) -> g.bytes() * g.length()).reversed().thenComparingInt(Group::first),
                Comparator.comparingInt(Group::length).reversed().thenComparing(bySize),
                Comparator.comparingInt(Group::first).thenComparing(bySize)));
        // By size with each size jittered by up to ±JITTER: neighbours of similar size swap places. A fixed seed keeps plans reproducible.
        SplittableRandom random = new SplittableRandom(JITTER_SEED);
        for (int i = 0; i < JITTERED_ORDERS; i++) {
            Map<Group, Double> jittered = new HashMap<>();
            for (Group g : groups) jittered.put(g, g.bytes() * (1 + JITTER * (2 * random.nextDouble() - 1)));
            orders.add(Comparator.comparingDouble((Group g) -> jittered.get(g)).reversed());
        }
        return orders;
    }

    /** How many jittered size orders are tried, how much sizes are jittered, and the seed of the jitter. */
    private static final int JITTERED_ORDERS = 24;
    private static final double JITTER = 0.3;
    private static final long JITTER_SEED = 0x6E6E63L;

    /** Places {@code requests} (distinct handles), honouring every legal pair of {@code inPlace} that does not conflict with an earlier one. */
    public static Layout plan(List<Request> requests, List<InPlace> inPlace) {
        Map<Integer, Request> byHandle = index(requests);
        List<InPlace> honoured = legalPairs(byHandle, inPlace);
        List<Group> groups = groups(requests, byHandle, honoured);
        List<Placed> best = null;
        long bestBytes = Long.MAX_VALUE;
        for (Comparator<Group> order : orders(groups, pressure(groups))) {
            for (GapRule rule : GapRule.values()) {
                List<Placed> placed = place(groups, order.thenComparingInt(Group::leader), rule);
                long bytes = placed.stream().mapToLong(Placed::end).max().orElse(0);
                if (bytes < bestBytes) {
                    best = placed;
                    bestBytes = bytes;
                }
            }
        }
        Map<Integer, Long> offsets = new HashMap<>();
        for (Placed p : best) {
            for (Request r : p.group().members()) offsets.put(r.handle(), p.offset());
        }
        long naive = requests.stream().mapToLong(Request::alignedBytes).sum();
        return new Layout(offsets, bestBytes, naive, lowerBound(requests, honoured), honoured);
    }

    /**
     * The most aligned bytes live at any one step, counting an in-place input as dead at the step its output takes
     * its place. {@code inPlace} must be legal and must not share an input or an output.
     */
    public static long lowerBound(List<Request> requests, List<InPlace> inPlace) {
        Set<Integer> taken = new HashSet<>();
        for (InPlace p : inPlace) taken.add(p.input());
        int steps = requests.stream().mapToInt(Request::last).max().orElse(-1) + 1;
        long[] delta = new long[steps + 1];
        for (Request r : requests) {
            int last = taken.contains(r.handle()) ? r.last() - 1 : r.last();
            if (last < r.first()) continue;
            delta[r.first()] += r.alignedBytes();
            delta[last + 1] -= r.alignedBytes();
        }
        long live = 0;
        long most = 0;
        for (int s = 0; s < steps; s++) {
            live += delta[s];
            most = Math.max(most, live);
        }
        return most;
    }

    private static Map<Integer, Request> index(List<Request> requests) {
        Map<Integer, Request> byHandle = new LinkedHashMap<>();
        for (Request r : requests) {
            if (byHandle.put(Objects.requireNonNull(r).handle(), r) != null) throw new IllegalArgumentException("handle " + r.handle() + " requested twice");
        }
        return byHandle;
    }

    /**
     * The pairs, in order, whose lifetimes meet at one step, skipping any whose input or output is already paired
     * and any that would put two handles of one chain at the same step other than at their own meeting step.
     */
    private static List<InPlace> legalPairs(Map<Integer, Request> byHandle, List<InPlace> candidates) {
        List<InPlace> legal = new ArrayList<>();
        Set<Integer> inputsTaken = new HashSet<>();
        Set<Integer> outputsPlaced = new HashSet<>();
        Map<Integer, List<Request>> chainOf = new HashMap<>();
        for (InPlace p : candidates) {
            Request out = byHandle.get(p.output());
            Request in = byHandle.get(p.input());
            if (out == null || in == null) throw new IllegalArgumentException("in-place pair " + p + " names an unknown handle");
            if (in.last() != out.first() || inputsTaken.contains(in.handle()) || outputsPlaced.contains(out.handle())) continue;
            List<Request> before = chainOf.getOrDefault(in.handle(), List.of(in));
            List<Request> after = chainOf.getOrDefault(out.handle(), List.of(out));
            if (before.contains(out) || !apart(before, after, in, out)) continue;
            legal.add(p);
            inputsTaken.add(in.handle());
            outputsPlaced.add(out.handle());
            List<Request> chain = new ArrayList<>(before);
            chain.addAll(after);
            for (Request r : chain) chainOf.put(r.handle(), chain);
        }
        return legal;
    }

    /** Whether every handle of {@code before} dies before every handle of {@code after} is born, but for {@code in} and {@code out}. */
    private static boolean apart(List<Request> before, List<Request> after, Request in, Request out) {
        for (Request x : before) {
            for (Request y : after) {
                if ((x != in || y != out) && x.last() >= y.first()) return false;
            }
        }
        return true;
    }

    /** One group per in-place chain (a single handle when it takes no place and gives none). */
    private static List<Group> groups(List<Request> requests, Map<Integer, Request> byHandle, List<InPlace> honoured) {
        Map<Integer, Integer> successor = new HashMap<>();
        Set<Integer> hasPredecessor = new HashSet<>();
        for (InPlace p : honoured) {
            successor.put(p.input(), p.output());
            hasPredecessor.add(p.output());
        }
        List<Group> groups = new ArrayList<>();
        for (Request head : requests) {
            if (hasPredecessor.contains(head.handle())) continue;
            List<Request> members = new ArrayList<>();
            for (Integer h = head.handle(); h != null; h = successor.get(h)) members.add(byHandle.get(h));
            long bytes = members.stream().mapToLong(Request::alignedBytes).max().orElseThrow();
            int first = members.stream().mapToInt(Request::first).min().orElseThrow();
            int last = members.stream().mapToInt(Request::last).max().orElseThrow();
            groups.add(new Group(members, bytes, first, last));
        }
        return groups;
    }

    /** For each group, the most bytes of all groups live at one step of its lifetime. */
    private static Map<Group, Long> pressure(List<Group> groups) {
        int steps = groups.stream().mapToInt(Group::last).max().orElse(-1) + 1;
        long[] live = new long[steps];
        for (Group g : groups) {
            for (int s = g.first(); s <= g.last(); s++) live[s] += g.bytes();
        }
        Map<Group, Long> pressure = new HashMap<>();
        for (Group g : groups) {
            long most = 0;
            for (int s = g.first(); s <= g.last(); s++) most = Math.max(most, live[s]);
            pressure.put(g, most);
        }
        return pressure;
    }

    /** Greedy placement in {@code order}: each group goes into a gap free over its lifetime, or on top. */
    private static List<Placed> place(List<Group> groups, Comparator<Group> order, GapRule rule) {
        List<Group> sorted = new ArrayList<>(groups);
        sorted.sort(order);
        List<Placed> placed = new ArrayList<>();
        for (Group g : sorted) {
            List<Placed> rivals = new ArrayList<>();
            for (Placed p : placed) {
                if (p.group().first() <= g.last() && g.first() <= p.group().last()) rivals.add(p);
            }
            rivals.sort(Comparator.comparingLong(Placed::offset));
            long top = 0;
            long chosen = -1;
            long chosenGap = Long.MAX_VALUE;
            for (Placed p : rivals) {
                long gap = p.offset() - top;
                if (gap >= g.bytes() && (chosen < 0 || rule == GapRule.SMALLEST && gap < chosenGap)) {
                    chosen = top;
                    chosenGap = gap;
                }
                top = Math.max(top, p.end());
            }
            placed.add(new Placed(g, chosen >= 0 ? chosen : top));
        }
        return placed;
    }
}

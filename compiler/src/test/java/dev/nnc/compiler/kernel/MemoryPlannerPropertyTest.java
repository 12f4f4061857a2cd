package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nnc.compiler.kernel.MemoryPlanner.InPlace;
import dev.nnc.compiler.kernel.MemoryPlanner.Layout;
import dev.nnc.compiler.kernel.MemoryPlanner.Request;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The planner on thousands of random interval sets: every handle is aligned and inside the arena, handles live at
 * the same step never share a byte (except an honoured in-place pair at its meeting step), honoured pairs are
 * legal, and lower bound ≤ planned ≤ naive.
 */
class MemoryPlannerPropertyTest {

    private static final int CASES = 4000;

    @Test
    void randomIntervalSetsArePlacedWithoutConflicts() {
        SplittableRandom random = new SplittableRandom(20261121);
        for (int c = 0; c < CASES; c++) {
            List<Request> requests = randomRequests(random);
            List<InPlace> pairs = randomPairs(random, requests);
            check(c, requests, pairs, MemoryPlanner.plan(requests, pairs));
        }
    }

    private static List<Request> randomRequests(SplittableRandom random) {
        int n = random.nextInt(1, 40);
        int steps = random.nextInt(1, 30);
        List<Request> requests = new ArrayList<>();
        for (int h = 0; h < n; h++) {
            int first = random.nextInt(steps);
            int last = first + random.nextInt(Math.min(steps - first, 1 + random.nextInt(steps)));
            long bytes = random.nextInt(8) == 0 ? random.nextInt(4) * 4L : 4L * random.nextInt(1, 5000);
            requests.add(new Request(100 + 3 * h, bytes, first, last));
        }
        return requests;
    }

    /** Pairs whose lifetimes meet (legal) mixed with pairs whose lifetimes do not (to be ignored). */
    private static List<InPlace> randomPairs(SplittableRandom random, List<Request> requests) {
        List<InPlace> pairs = new ArrayList<>();
        for (Request out : requests) {
            for (Request in : requests) {
                if (in != out && random.nextInt(in.last() == out.first() ? 2 : 40) == 0) pairs.add(new InPlace(out.handle(), in.handle()));
            }
        }
        return pairs;
    }

    private static void check(int c, List<Request> requests, List<InPlace> pairs, Layout layout) {
        String where = "case " + c + ": " + requests + " pairs " + pairs + " -> " + layout;
        assertEquals(requests.size(), layout.offsets().size(), where);
        assertTrue(layout.lowerBoundBytes() <= layout.plannedBytes(), where);
        assertTrue(layout.plannedBytes() <= layout.naiveBytes(), where);
        assertEquals(requests.stream().mapToLong(r -> MemoryPlan.align(r.bytes())).sum(), layout.naiveBytes(), where);
        Set<Integer> inputs = new HashSet<>();
        Set<Integer> outputs = new HashSet<>();
        for (InPlace p : layout.inPlace()) {
            assertTrue(pairs.contains(p), "honoured a pair nobody offered: " + p + " in " + where);
            assertEquals(find(requests, p.input()).last(), find(requests, p.output()).first(), "illegal in-place " + p + " in " + where);
            assertTrue(inputs.add(p.input()) && outputs.add(p.output()), "handle paired twice: " + p + " in " + where);
        }
        for (Request r : requests) {
            long offset = layout.offsets().get(r.handle());
            assertEquals(0, offset % MemoryPlan.ALIGNMENT, where);
            assertTrue(offset >= 0 && offset + r.bytes() <= layout.plannedBytes(), where);
        }
        for (int i = 0; i < requests.size(); i++) {
            for (int j = i + 1; j < requests.size(); j++) {
                Request a = requests.get(i);
                Request b = requests.get(j);
                int sharedFirst = Math.max(a.first(), b.first());
                int sharedLast = Math.min(a.last(), b.last());
                if (sharedFirst > sharedLast || a.bytes() == 0 || b.bytes() == 0) continue;
                long aStart = layout.offsets().get(a.handle());
                long bStart = layout.offsets().get(b.handle());
                if (aStart >= bStart + b.bytes() || bStart >= aStart + a.bytes()) continue;
                boolean pair = layout.inPlace().contains(new InPlace(a.handle(), b.handle())) || layout.inPlace().contains(new InPlace(b.handle(), a.handle()));
                if (!(pair && sharedFirst == sharedLast && aStart == bStart)) {
                    fail("handles " + a + " and " + b + " are live together but overlap at " + aStart + "/" + bStart + " in " + where);
                }
            }
        }
    }

    private static Request find(List<Request> requests, int handle) {
        return requests.stream().filter(r -> r.handle() == handle).findFirst().orElseThrow();
    }
}

package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.kernel.MemoryPlanner.InPlace;
import dev.nnc.compiler.kernel.MemoryPlanner.Layout;
import dev.nnc.compiler.kernel.MemoryPlanner.Request;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner alone, on hand-made lifetimes: reuse, alignment, in-place pairs and the statistics. */
class MemoryPlannerTest {

    @Test
    void disjointLifetimesShareMemory() {
        Layout layout = MemoryPlanner.plan(List.of(new Request(1, 1000, 0, 1), new Request(2, 1000, 2, 3)), List.of());
        assertEquals(layout.offsets().get(1), layout.offsets().get(2));
        assertEquals(1024, layout.plannedBytes());
        assertEquals(2048, layout.naiveBytes());
        assertEquals(1024, layout.lowerBoundBytes());
        assertEquals(1.0, layout.efficiency());
    }

    @Test
    void lifetimesMeetingAtOneStepDoNotShare() {
        Layout layout = MemoryPlanner.plan(List.of(new Request(1, 100, 0, 2), new Request(2, 100, 2, 3)), List.of());
        assertNotEquals(layout.offsets().get(1), layout.offsets().get(2));
        assertEquals(256, layout.plannedBytes());
    }

    @Test
    void offsetsAreAlignedToACacheLine() {
        Layout layout = MemoryPlanner.plan(List.of(new Request(1, 4, 0, 5), new Request(2, 12, 0, 5), new Request(3, 65, 0, 5)), List.of());
        layout.offsets().values().forEach(o -> assertEquals(0, o % MemoryPlan.ALIGNMENT, "offset " + o));
        assertEquals(64 + 64 + 128, layout.plannedBytes());
    }

    @Test
    void bestFitTakesTheSmallestGapThatFits() {
        // A (0..9, 256 B) and C (0..9, 128 B) around B (0..1, 512 B) then D (0..1, 128 B): once B and D die, a 128-byte
        // buffer later in time fits both in D's hole and in B's larger one; best fit picks D's.
        List<Request> requests = List.of(new Request(1, 512, 0, 1), new Request(2, 256, 0, 9), new Request(3, 128, 0, 1),
                new Request(4, 128, 0, 9), new Request(5, 128, 5, 9));
        Layout layout = MemoryPlanner.plan(requests, List.of());
        assertEquals(layout.offsets().get(3), layout.offsets().get(5), "the 128-byte hole fits exactly: " + layout.offsets());
        assertEquals(1024, layout.plannedBytes());
    }

    @Test
    void inPlaceIsHonouredWhenTheInputDiesWhereTheOutputIsBorn() {
        List<Request> requests = List.of(new Request(1, 256, 0, 3), new Request(2, 256, 3, 5), new Request(3, 64, 0, 5));
        Layout layout = MemoryPlanner.plan(requests, List.of(new InPlace(2, 1)));
        assertEquals(layout.offsets().get(1), layout.offsets().get(2));
        assertEquals(List.of(new InPlace(2, 1)), layout.inPlace());
        assertEquals(256 + 64, layout.plannedBytes());
        assertEquals(256 + 64, layout.lowerBoundBytes(), "the pair counts once at step 3");
    }

    @Test
    void inPlaceIsIgnoredWhenTheInputOutlivesTheOutputsFirstStep() {
        List<Request> requests = List.of(new Request(1, 256, 0, 4), new Request(2, 256, 3, 5));
        Layout layout = MemoryPlanner.plan(requests, List.of(new InPlace(2, 1)));
        assertNotEquals(layout.offsets().get(1), layout.offsets().get(2));
        assertEquals(List.of(), layout.inPlace());
        assertEquals(512, layout.plannedBytes());
    }

    @Test
    void inPlaceIsIgnoredWhenTheInputDiesBeforeTheOutputIsBorn() {
        List<Request> requests = List.of(new Request(1, 256, 0, 2), new Request(2, 256, 3, 5));
        Layout layout = MemoryPlanner.plan(requests, List.of(new InPlace(2, 1)));
        assertEquals(List.of(), layout.inPlace(), "not in place, though disjoint lifetimes may still share");
        assertEquals(256, layout.plannedBytes());
    }

    @Test
    void anInputGivesItsPlaceToOneOutputOnly() {
        List<Request> requests = List.of(new Request(1, 256, 0, 3), new Request(2, 256, 3, 5), new Request(3, 256, 3, 5));
        Layout layout = MemoryPlanner.plan(requests, List.of(new InPlace(2, 1), new InPlace(3, 1)));
        assertEquals(List.of(new InPlace(2, 1)), layout.inPlace());
        assertNotEquals(layout.offsets().get(2), layout.offsets().get(3));
    }

    @Test
    void inPlaceChainsShareOneRegion() {
        List<Request> requests = List.of(new Request(1, 128, 0, 1), new Request(2, 128, 1, 2), new Request(3, 128, 2, 3));
        Layout layout = MemoryPlanner.plan(requests, List.of(new InPlace(2, 1), new InPlace(3, 2)));
        assertEquals(1, layout.offsets().values().stream().distinct().count());
        assertEquals(128, layout.plannedBytes());
        assertEquals(128, layout.lowerBoundBytes());
    }

    @Test
    void lowerBoundIsTheBusiestStep() {
        List<Request> requests = List.of(new Request(1, 64, 0, 0), new Request(2, 128, 1, 2), new Request(3, 192, 2, 3), new Request(4, 64, 3, 3));
        assertEquals(128 + 192, MemoryPlanner.lowerBound(requests, List.of()));
    }

    @Test
    void noRequestsPlanAnEmptyArena() {
        Layout layout = MemoryPlanner.plan(List.of(), List.of());
        assertEquals(0, layout.plannedBytes());
        assertEquals(1.0, layout.efficiency());
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new Request(1, 8, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> new Request(1, -1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new InPlace(4, 4));
        assertThrows(IllegalArgumentException.class,
                () -> MemoryPlanner.plan(List.of(new Request(1, 8, 0, 0), new Request(1, 8, 1, 1)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> MemoryPlanner.plan(List.of(new Request(1, 8, 0, 0)), List.of(new InPlace(2, 1))));
    }

    @Test
    void statisticsAreOrdered() {
        Layout layout = MemoryPlanner.plan(List.of(new Request(1, 100, 0, 3), new Request(2, 300, 1, 2), new Request(3, 50, 3, 4)), List.of());
        assertTrue(layout.lowerBoundBytes() <= layout.plannedBytes() && layout.plannedBytes() <= layout.naiveBytes(), layout.toString());
    }
}

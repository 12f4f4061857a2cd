package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code -O2} memory plans of the example models meet the bars: inference within 5% of the lower bound,
 * training steps in at most 40% of the memory of one buffer per value; and every plan is a valid placement of its
 * program's buffers.
 */
class ExamplePlanTest {

    /** Plans must reach this fraction of the lower bound (the bar for inference; training is held to it too). */
    private static final double INFERENCE_EFFICIENCY = 0.95;

    /** A training step's planned arena may be at most this fraction of the naive one (the bar). */
    private static final double TRAINING_FRACTION_OF_NAIVE = 0.40;

    /** Compilations by model and level, shared by the tests (compiling is the slow part). */
    private static final Map<String, Compiler.Compilation> COMPILED = new ConcurrentHashMap<>();

    private static Compiler.Compilation compile(String model, OptLevel level) throws Exception {
        String key = model + " " + level;
        Compiler.Compilation c = COMPILED.get(key);
        if (c == null) {
            c = Compiler.compile(TestModels.source(TestModels.models().get(model)), CompileOptions.defaults().withOpt(level));
            COMPILED.put(key, c);
        }
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "lenet", "zoo"})
    void inferencePlanIsWithinFivePercentOfTheLowerBound(String model) throws Exception {
        Compiler.Compilation c = compile(model, OptLevel.O2);
        MemoryPlan.Statistics s = c.plan().statistics();
        System.out.printf(Locale.ROOT, "%s inference: %s%n", model, s);
        assertValidPlacement(c.kernels(), c.plan());
        assertTrue(s.efficiency() >= INFERENCE_EFFICIENCY, model + " inference: " + s);
    }

    /**
     * The bar, with naive meaning one buffer per value and no reuse (the {@code -O0} arena): the {@code -O2}
     * training arena is at most 40% of it. (Against the {@code -O2} program's own naive sum, which fusion has
     * already shrunk, the bar is out of reach: see {@link #trainingPlanIsWithinFivePercentOfTheLowerBound}.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "lenet"})
    void trainingPlanUsesAtMostFortyPercentOfNaive(String model) throws Exception {
        MemoryPlan.Statistics unplanned = compile(model, OptLevel.O0).training().orElseThrow().plan().statistics();
        Compiler.Training t = compile(model, OptLevel.O2).training().orElseThrow();
        MemoryPlan.Statistics planned = t.plan().statistics();
        System.out.printf(Locale.ROOT, "%s training: -O0 naive %d, -O2 %s (%.3f of -O0 naive, %.3f of own naive)%n", model,
                unplanned.naiveBytes(), planned, (double) planned.plannedBytes() / unplanned.naiveBytes(),
                (double) planned.plannedBytes() / planned.naiveBytes());
        assertValidPlacement(t.kernels(), t.plan());
        assertTrue(planned.plannedBytes() <= TRAINING_FRACTION_OF_NAIVE * unplanned.naiveBytes(), model + " training: " + planned);
    }

    /** The planner alone, without fusion's help: the unfused training program planned is at most 40% of its naive sum. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "lenet"})
    void unfusedTrainingPlanUsesAtMostFortyPercentOfNaive(String model) throws Exception {
        Compiler.Training t = compile(model, OptLevel.O0).training().orElseThrow();
        MemoryPlan plan = MemoryPlan.planned(t.kernels(), t.stateOffsets());
        MemoryPlan.Statistics s = plan.statistics();
        System.out.printf(Locale.ROOT, "%s unfused training planned: %s (%.3f of naive)%n", model, s, (double) s.plannedBytes() / s.naiveBytes());
        assertValidPlacement(t.kernels(), plan);
        assertTrue(s.plannedBytes() <= TRAINING_FRACTION_OF_NAIVE * s.naiveBytes(), model + " unfused training: " + s);
    }

    /** What remains of the training arena is live data, not placement waste. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "lenet"})
    void trainingPlanIsWithinFivePercentOfTheLowerBound(String model) throws Exception {
        MemoryPlan.Statistics s = compile(model, OptLevel.O2).training().orElseThrow().plan().statistics();
        assertTrue(s.efficiency() >= INFERENCE_EFFICIENCY, model + " training: " + s);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mlp", "lenet", "zoo"})
    void levelZeroKeepsEveryBufferSeparate(String model) throws Exception {
        Compiler.Compilation c = compile(model, OptLevel.O0);
        MemoryPlan.Statistics s = c.plan().statistics();
        assertEquals(s.naiveBytes(), s.plannedBytes(), model + ": -O0 must not reuse memory");
        assertValidPlacement(c.kernels(), c.plan());
    }

    /**
     * Every arena buffer is aligned and inside the arena, and two buffers whose lifetimes share a step never share
     * a byte, except an in-place pair at the one step where the output takes its input's place.
     */
    static void assertValidPlacement(KernelProgram program, MemoryPlan plan) {
        Liveness.Lifetimes lifetimes = Liveness.of(program);
        List<Liveness.Lifetime> all = lifetimes.buffers();
        assertFalse(all.isEmpty());
        for (Liveness.Lifetime l : all) {
            long offset = plan.offset(l.buffer());
            assertEquals(0, offset % MemoryPlan.ALIGNMENT, l.buffer() + " misaligned");
            assertTrue(offset + l.bytes() <= plan.arenaBytes(), l.buffer() + " outside the arena");
        }
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                Liveness.Lifetime a = all.get(i);
                Liveness.Lifetime b = all.get(j);
                int sharedFirst = Math.max(a.first(), b.first());
                int sharedLast = Math.min(a.last(), b.last());
                if (sharedFirst > sharedLast || a.bytes() == 0 || b.bytes() == 0) continue;
                long aStart = plan.offset(a.buffer());
                long bStart = plan.offset(b.buffer());
                boolean overlap = aStart < bStart + b.bytes() && bStart < aStart + a.bytes();
                if (!overlap) continue;
                boolean inPlace = sharedFirst == sharedLast && aStart == bStart
                        && (lifetimes.inPlace().contains(new MemoryPlanner.InPlace(a.buffer().id(), b.buffer().id()))
                            || lifetimes.inPlace().contains(new MemoryPlanner.InPlace(b.buffer().id(), a.buffer().id())));
                assertTrue(inPlace, a.buffer() + " and " + b.buffer() + " are live together at step " + sharedFirst + " but overlap");
            }
        }
    }
}

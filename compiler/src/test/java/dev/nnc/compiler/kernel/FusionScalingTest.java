package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.driver.Pipeline;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import org.junit.jupiter.api.Test;

/**
 * Fusion's cost grows linearly with the graph (issue 10): the steps it takes ({@link Fusion#work}: rule attempts,
 * index updates and entries visited — counted, not timed) on chains of 1,000, 10,000 and 100,000 ops grow by at most
 * 15× per 10× (linear is 10×, n log n about 13×). The pass used to scan every later kernel for each candidate, which
 * made a 10,000-op chain take 41 s and a 100,000-op one never finish.
 */
class FusionScalingTest {

    @Test
    void fusionStepsGrowLinearlyWithTheGraph() {
        long previous = 0;
        for (int ops : new int[] {1_000, 10_000, 100_000}) {
            long work = Fusion.work(unfused(chain(ops)));
            System.out.printf("fusion: %,d ops, %,d steps%n", ops, work);
            if (previous > 0) {
                double growth = (double) work / previous;
                assertTrue(growth <= 15, ops + " ops took " + work + " fusion steps, " + growth + "× the steps of a tenth of it");
            }
            previous = work;
        }
    }

    /** x → ×1.001 → +0.5 → tanh → … → y, ops long. */
    private static Graph chain(int ops) {
        GraphBuilder b = new GraphBuilder("Chain", 4);
        Value v = b.input("x", TensorType.f32(Shape.of(-1, 16)));
        for (int i = 0; i < ops; i++) {
            v = switch (i % 3) {
                case 0 -> b.add(new Op.Binary(Op.BinaryKind.MUL, v, b.add(new Op.Constant(1.001f), "c")), "h");
                case 1 -> b.add(new Op.Binary(Op.BinaryKind.ADD, v, b.add(new Op.Constant(0.5f), "c")), "h");
                default -> b.add(new Op.Unary(Op.UnaryKind.TANH, v), "h");
            };
        }
        b.output("y", v);
        return b.build();
    }

    /** The lowered kernel program before fusion (the -O0 pipeline stops short of it). */
    private static KernelProgram unfused(Graph g) {
        return Pipeline.run(g, new Pipeline.Context(Pipeline.Mode.INFERENCE, OptLevel.O0, null, 0), Pipeline.SILENT).program();
    }
}

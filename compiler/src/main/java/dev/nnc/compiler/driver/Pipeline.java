package dev.nnc.compiler.driver;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.kernel.Fusion;
import dev.nnc.compiler.passes.Simplify;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.WeightLayout;

/**
 * The optimization pipeline: one list, in order, per optimization level, for the graph and for the kernel
 * program. (The stages that build graphs — frontend, autodiff, optimizer updates — run in {@link Compiler}.)
 */
final class Pipeline {

    private Pipeline() {}

    static Graph simplify(Graph g, OptLevel level) {
        return switch (level) {
            case O0 -> Simplify.removeDeadCode(g);   // the baseline keeps every live node as built
            case O2 -> Simplify.run(g);              // dead code, duplicates, identities (x·1, x+0, −(−x), …)
        };
    }

    static KernelProgram optimize(KernelProgram program, OptLevel level) {
        return switch (level) {
            case O0 -> program;                      // one kernel per primitive op: the unfused baseline
            case O2 -> Fusion.fuse(program);         // elementwise chains, reductions with their producers, epilogues
        };
    }

    /** Data layouts for an inference program, after {@link #optimize}; {@code paramBytes} is where the parameters end. */
    static KernelProgram layOut(KernelProgram program, OptLevel level, long paramBytes) {
        return switch (level) {
            case O0 -> program;                      // the baseline reads every weight as stored
            case O2 -> WeightLayout.packConstantWeights(program, paramBytes);   // dense weights in GEMM panels, packed at load
        };
    }
}

package dev.nnc.compiler.driver;

import dev.nnc.compiler.autodiff.Autodiff;
import dev.nnc.compiler.frontend.Frontend;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.compiler.ir.Verifier;
import dev.nnc.compiler.kernel.Fusion;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.Lowering;
import dev.nnc.compiler.kernel.WeightLayout;
import dev.nnc.compiler.optim.Optimizers;
import dev.nnc.compiler.passes.FoldBatchNorm;
import dev.nnc.compiler.passes.Simplify;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * Every pass of the compiler, in order, in one list ({@link #PASSES}), used by every compile path: an inference
 * graph, a model's training step, and several models trained together. Each entry says in which mode and at which
 * optimization levels it runs and which passes must have run before it; the list is checked for that when this
 * class loads. The verifier runs after every graph pass, and a listener can see the IR after any pass
 * ({@code nnc compile --print-after=NAME|all}).
 */
public final class Pipeline {

    private Pipeline() {}

    /** What is being compiled: the inference entry point or the training step. */
    public enum Mode { INFERENCE, TRAINING }

    /** What a pass works on and with. */
    public record Context(Mode mode, OptLevel level, Frontend.TrainingModel training, long paramBytes) {
        public Context {
            Objects.requireNonNull(mode);
            Objects.requireNonNull(level);
            if ((mode == Mode.TRAINING) != (training != null)) throw new IllegalArgumentException("a training step needs its training model");
        }
    }

    /** One pass: a graph pass, {@code lower}, or a kernel-program pass. */
    public sealed interface Pass {
        String name();

        Set<Mode> modes();

        Set<OptLevel> levels();

        /** Passes that must have run before this one, when this one runs. */
        List<String> requires();

        /** What is true after the pass, for people reading the list. */
        String summary();

        default boolean runsIn(Context c) {
            return modes().contains(c.mode()) && levels().contains(c.level());
        }
    }

    public record GraphPass(String name, Set<Mode> modes, Set<OptLevel> levels, List<String> requires, String summary,
                            BiFunction<Graph, Context, Graph> run) implements Pass {}

    public record Lower(String name, Set<Mode> modes, Set<OptLevel> levels, List<String> requires, String summary) implements Pass {}

    public record ProgramPass(String name, Set<Mode> modes, Set<OptLevel> levels, List<String> requires, String summary,
                              BiFunction<KernelProgram, Context, KernelProgram> run) implements Pass {}

    private static final Set<Mode> BOTH = EnumSet.allOf(Mode.class);
    private static final Set<Mode> INFERENCE = EnumSet.of(Mode.INFERENCE);
    private static final Set<Mode> TRAINING = EnumSet.of(Mode.TRAINING);
    private static final Set<OptLevel> ALL_LEVELS = EnumSet.allOf(OptLevel.class);
    private static final Set<OptLevel> O0 = EnumSet.of(OptLevel.O0);
    private static final Set<OptLevel> O2 = EnumSet.of(OptLevel.O2);

    /** The passes, in the order they run. */
    public static final List<Pass> PASSES = List.of(
            new GraphPass("autodiff", TRAINING, ALL_LEVELS, List.of(),
                    "the graph has the backward pass of its loss and the optimizer's updates", Pipeline::differentiate),
            new GraphPass("fold-batchnorm", INFERENCE, O2, List.of(),
                    "no batchnorm after a convolution or dense layer normalizes activations", (g, c) -> FoldBatchNorm.run(g)),
            new GraphPass("simplify", BOTH, O2, List.of(),
                    "no dead nodes, no duplicates, no identities (x·1, x+0, −(−x), detach, …)", (g, c) -> Simplify.run(g)),
            new GraphPass("dead-code", BOTH, O0, List.of(),
                    "no dead nodes; every other node is computed as built (the unfused baseline)", (g, c) -> Simplify.removeDeadCode(g)),
            new Lower("lower", BOTH, ALL_LEVELS, List.of(),
                    "one kernel per primitive op, views folded into load strides"),
            new ProgramPass("fuse", BOTH, O2, List.of("lower"),
                    "elementwise chains, reductions with their producers, and epilogues of library calls are one kernel each",
                    (p, c) -> Fusion.fuse(p)),
            new ProgramPass("pack-weights", INFERENCE, O2, List.of("lower"),
                    "constant dense weights are read from panels the loader packs once",
                    (p, c) -> WeightLayout.packConstantWeights(p, c.paramBytes())));

    static {
        Map<String, Pass> earlier = new HashMap<>();
        for (Pass p : PASSES) {
            for (String r : p.requires()) {
                Pass required = earlier.get(r);
                if (required == null || !required.modes().containsAll(p.modes()) || !required.levels().containsAll(p.levels())) {
                    throw new IllegalStateException("pass " + p.name() + " requires " + r + ", which does not run before it wherever it runs");
                }
            }
            if (earlier.put(p.name(), p) != null) throw new IllegalStateException("two passes are called " + p.name());
        }
    }

    /** The names {@code --print-after} accepts. */
    public static List<String> names() {
        return PASSES.stream().map(Pass::name).toList();
    }

    /** The graph after the graph passes, and the kernel program it lowered to after the program passes. */
    public record Result(Graph graph, KernelProgram program) {}

    /**
     * Runs the passes for {@code context} on {@code g}, in order, verifying the graph after each graph pass and
     * telling {@code printer} each pass's product as text (IR after graph passes, the kernel program after lowering
     * and after program passes).
     */
    public static Result run(Graph g, Context context, BiConsumer<String, String> printer) {
        Graph graph = g;
        KernelProgram program = null;
        for (Pass pass : PASSES) {
            if (!pass.runsIn(context)) continue;
            switch (pass) {
                case GraphPass p -> {
                    graph = p.run().apply(graph, context);
                    Verifier.verify(graph);
                    printer.accept(p.name(), IrPrinter.print(graph));
                }
                case Lower p -> {
                    program = Lowering.lower(graph);
                    printer.accept(p.name(), program.print());
                }
                case ProgramPass p -> {
                    program = p.run().apply(program, context);
                    printer.accept(p.name(), program.print());
                }
            }
        }
        return new Result(graph, program);
    }

    /**
     * The backward graph of the training model's loss and the optimizer's updates; a model whose frontend already
     * built them (several models trained in alternating steps, where each step reads the previous step's updates)
     * passes through.
     */
    private static Graph differentiate(Graph g, Context c) {
        Frontend.TrainingModel model = c.training();
        if (model.complete()) return g;
        Autodiff.Result diff = Autodiff.differentiate(g, model.loss());
        GraphBuilder b = GraphBuilder.from(diff.graph());
        Optimizers.apply(b, model.optimizer(), diff.gradients());
        return b.build();
    }

    /** A printer that prints nothing. */
    public static final BiConsumer<String, String> SILENT = (pass, text) -> { };
}

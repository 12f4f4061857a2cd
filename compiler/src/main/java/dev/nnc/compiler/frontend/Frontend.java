package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.TypeError;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.Builtin;
import dev.nnc.dsl.CallBinding;
import dev.nnc.dsl.Diagnostic;
import dev.nnc.dsl.Signature;
import dev.nnc.dsl.ast.Arg;
import dev.nnc.dsl.ast.Binary;
import dev.nnc.dsl.ast.BlockDecl;
import dev.nnc.dsl.ast.BoolLit;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Decl;
import dev.nnc.dsl.ast.DimRef;
import dev.nnc.dsl.ast.Expr;
import dev.nnc.dsl.ast.FloatLit;
import dev.nnc.dsl.ast.Ident;
import dev.nnc.dsl.ast.IntLit;
import dev.nnc.dsl.ast.Let;
import dev.nnc.dsl.ast.ModelDecl;
import dev.nnc.dsl.ast.Name;
import dev.nnc.dsl.ast.Neg;
import dev.nnc.dsl.ast.Param;
import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.Return;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.ast.Stmt;
import dev.nnc.dsl.ast.StrLit;
import dev.nnc.dsl.ast.TensorTypeRef;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.Hyperparameters;
import dev.nnc.runtime.Training.Optimizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Turns a checked {@code .nn} program into the Graph IR of one model: layers become primitive ops and
 * parameters, blocks are instantiated with their dims bound, and every shape error is reported at the DSL
 * position that caused it (all of them, not just the first).
 *
 * <p>Parameter names follow PyTorch: {@code dense} layers are {@code fc1, fc2, …} and {@code conv2d} layers
 * {@code conv1, …} in order of appearance unless named with {@code name="…"}; block instances are
 * {@code <block>1.…}; tensors are {@code <layer>.weight} and {@code <layer>.bias}.
 */
public final class Frontend {

    /** The batch size planned for when an input declares {@code B} without a maximum. */
    public static final int DEFAULT_MAX_BATCH = 64;

    /** A lowered model, or the diagnostics explaining why there is none. */
    public record Result(Optional<Graph> graph, List<Diagnostic> diagnostics) {}

    private final Program program;
    private final boolean training;
    private final Map<String, BlockDecl> blocks = new HashMap<>();
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private GraphBuilder graph;
    private Value dropoutSeed;
    private int dropoutStreams;
    private TrainSection trainSection;
    /** Models callable as functions (a section training several models); empty otherwise. */
    private final Map<String, ModelDecl> models = new LinkedHashMap<>();
    /** In a multi-model section, each parameter's current value: shared by every call, advanced by each step. */
    private final Map<String, Value> current = new HashMap<>();
    private int depth;

    Frontend(Program program, boolean training) {
        this.program = program;
        this.training = training;
        for (Decl d : program.decls()) if (d instanceof BlockDecl b) blocks.put(b.name(), b);
    }

    /**
     * Lowers the model called {@code modelName} (or the only model, when null) of a program that passed
     * {@code Dsl.parseAndCheck}. {@code maxBatchOverride}, when positive, replaces the declared maximum batch.
     */
    public static Result lower(Program program, String modelName, int maxBatchOverride) {
        Frontend f = new Frontend(program, false);
        ModelDecl model = f.select(modelName);
        if (model == null) return f.result();
        TrainDecl together = MultiModel.multiModelSection(program, model.name());
        if (together != null) return MultiModel.lowerTogether(program, model, together, maxBatchOverride);
        Scope scope = f.lowerBody(model, maxBatchOverride);
        f.addOutputs(model, scope);
        return f.result();
    }

    /**
     * Lowers the model in training mode (dropout active) together with its {@code train} section: the graph's
     * first output is the scalar {@code loss}, followed by the model's outputs; targets are extra inputs.
     */
    public static TrainingResult lowerTraining(Program program, String modelName, int maxBatchOverride) {
        Frontend f = new Frontend(program, true);
        ModelDecl model = f.select(modelName);
        if (model == null) return new TrainingResult(Optional.empty(), List.copyOf(f.diagnostics));
        TrainDecl together = MultiModel.multiModelSection(program, model.name());
        if (together != null) return MultiModel.lowerTrainingTogether(f, together, maxBatchOverride);
        TrainDecl train = program.decls().stream().filter(d -> d instanceof TrainDecl t && t.model().equals(model.name()))
                .map(d -> (TrainDecl) d).findFirst().orElse(null);
        if (train == null) {
            f.report(model.nameSpan(), "model `" + model.name() + "` has no `train` section",
                    "add one: train " + model.name() + " { target y: i32[B]; loss cross_entropy(logits, y); optimizer adam(lr=1e-3) }");
            return new TrainingResult(Optional.empty(), List.copyOf(f.diagnostics));
        }
        Scope scope = f.lowerBody(model, maxBatchOverride);
        TrainSection.Lowered lowered = f.lowerSection(train, scope);
        if (lowered != null) f.graph.output("loss", lowered.loss());
        f.addOutputs(model, scope);
        Result r = f.result();
        if (r.graph().isEmpty() || lowered == null) return new TrainingResult(Optional.empty(), r.diagnostics());
        return new TrainingResult(Optional.of(new TrainingModel(r.graph().get(), lowered.loss(), lowered.optimizer(), lowered.settings(),
                lowered.complete())), List.of());
    }

    /**
     * A model's training graph and how to optimize it. Unless {@code complete}, the graph is the forward pass and
     * the loss, to be differentiated and given the optimizer's updates; a complete graph (several models trained in
     * alternating steps) already has them.
     */
    public record TrainingModel(Graph graph, Value loss, Optimizer optimizer, Map<String, String> settings,
                                boolean complete) {}

    /** A lowered training model, or the diagnostics explaining why there is none. */
    public record TrainingResult(Optional<TrainingModel> model, List<Diagnostic> diagnostics) {}

    Result result() {
        if (!diagnostics.isEmpty() || graph == null) return new Result(Optional.empty(), List.copyOf(diagnostics));
        return new Result(Optional.of(graph.build()), List.of());
    }

    /** The model to compile: {@code modelName}, or the file's only model; null (with a diagnostic) if none fits. */
    private ModelDecl select(String modelName) {
        List<ModelDecl> models = program.decls().stream().filter(d -> d instanceof ModelDecl).map(d -> (ModelDecl) d).toList();
        Span fileStart = new Span(1, 1, 1, 1);
        if (models.isEmpty()) {
            report(fileStart, "no model in this file", "declare one: model Name(x: f32[B, 784]) -> y { … }");
            return null;
        }
        if (modelName == null) {
            List<String> together = program.decls().stream().filter(d -> d instanceof TrainDecl).map(d -> MultiModel.listedModels((TrainDecl) d))
                    .filter(l -> !l.isEmpty()).findFirst().orElse(List.of());
            if (models.size() > 1 && !together.isEmpty()) {
                // models trained together: the first listed is the one the artifact runs (a GAN's generator)
                return models.stream().filter(m -> m.name().equals(together.getFirst())).findFirst().orElse(models.getFirst());
            }
            if (models.size() > 1) {
                report(models.get(1).nameSpan(), "this file has several models; say which one to compile",
                        "pass --model with one of " + models.stream().map(ModelDecl::name).toList());
                return null;
            }
            return models.getFirst();
        }
        Optional<ModelDecl> found = models.stream().filter(m -> m.name().equals(modelName)).findFirst();
        if (found.isEmpty()) {
            report(fileStart, "no model named `" + modelName + "`", "this file has " + models.stream().map(ModelDecl::name).toList());
            return null;
        }
        return found.get();
    }

    /** Declares the model's inputs and runs its body; returns the names it bound. */
    private Scope lowerBody(ModelDecl model, int maxBatchOverride) {
        int maxBatch = maxBatchOverride > 0 ? maxBatchOverride : declaredMaxBatch(model);
        graph = new GraphBuilder(model.name(), maxBatch);
        return lowerBody(model, new Scope(""));
    }

    /** Declares the model's inputs and runs its body in {@code scope}, on the graph under construction. */
    Scope lowerBody(ModelDecl model, Scope scope) {
        for (Param p : model.inputs()) {
            if (!(p.type() instanceof TensorTypeRef t)) continue;
            Shape shape = inputShape(t, scope);
            if (shape == null) {
                scope.bind(p.name(), new Val.Poison());   // reported; its uses are not errors of their own
                continue;
            }
            scope.bind(p.name(), new Val.Tensor(graph.input(p.name(), new TensorType(dtype(t.dtype()), shape))));
        }
        for (Stmt s : model.body()) statement(s, scope);
        return scope;
    }

    void addOutputs(ModelDecl model, Scope scope) {
        for (Ident out : model.outputs()) {
            Val v = scope.names.get(out.name());
            switch (v) {
                case Val.Tensor t when t.value().shape().hasBatch() && t.value().shape().dim(0).factor() != 1 ->
                        report(out.span(), "output `" + out.name() + "` has shape " + t.value().type()
                                + ", but an output's leading dimension must be B itself", "reshape it to [B, …] first");
                case Val.Tensor t -> graph.output(out.name(), t.value());
                case Val.Poison p -> { }
                case null -> report(out.span(), "output `" + out.name() + "` is never bound", null);
                default -> report(out.span(), "output `" + out.name() + "` must be a tensor, got " + v.describe(), null);
            }
        }
    }

    int declaredMaxBatch(ModelDecl model) {
        Long max = null;
        for (Param p : model.inputs()) {
            if (!(p.type() instanceof TensorTypeRef t)) continue;
            for (DimRef d : t.dims()) {
                if (d.max() == null) continue;
                if (max != null && !max.equals(d.max())) {
                    report(d.span(), "the batch maximum is declared twice with different values (" + max + " and " + d.max() + ")",
                            "declare `B<=N` once, on the first input");
                }
                max = d.max();
            }
        }
        if (max == null) return DEFAULT_MAX_BATCH;
        if (max > 1 << 20) {
            report(model.nameSpan(), "a maximum batch of " + max + " is too large", "use at most " + (1 << 20));
            return DEFAULT_MAX_BATCH;
        }
        return max.intValue();
    }

    /** The shape of a model input; symbols name the batch dim (the checker allows only one). */
    private Shape inputShape(TensorTypeRef t, Scope scope) {
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < t.dims().size(); i++) {
            DimRef d = t.dims().get(i);
            if (d.symbol() == null) {
                if (d.size() < 1) {
                    report(d.span(), "dimension must be at least 1, got " + d.size(), null);
                    return null;
                }
                dims.add(Dim.of(d.size()));
            } else if (i != 0) {
                report(d.span(), "the batch dimension `" + d.symbol() + "` must be the first dimension", "write the input as f32[" + d.symbol() + ", …]");
                return null;
            } else {
                dims.add(Dim.batch(1));
                scope.bind(d.symbol(), new Val.Batch(Dim.batch(1)));
            }
        }
        Shape shape = new Shape(dims);
        String tooBig = TensorLimits.tooBig("input " + new TensorType(dtype(t.dtype()), shape), shape, graph.maxBatch());
        if (tooBig != null) {
            report(t.span(), tooBig, "use smaller dimensions or a smaller maximum batch");
            return null;
        }
        return shape;
    }


    private static DType dtype(String name) {
        return name.equals("i32") ? DType.I32 : DType.F32;
    }

    // ---- statements and expressions -------------------------------------------------------------

    /** Runs one statement; returns the value of a {@code return}, else null. */
    private Val statement(Stmt s, Scope scope) {
        return switch (s) {
            case Let let -> {
                int firstNew = graph.nodeCount();
                Val v = eval(let.value(), scope);
                // values are named after their let-binding, block locals under the block instance (residual1.y)
                scope.bind(let.name(), v instanceof Val.Tensor t ? new Val.Tensor(graph.rename(t.value(), scope.prefix + let.name(), firstNew)) : v);
                yield null;
            }
            case Return r -> eval(r.value(), scope);
        };
    }

    private Val eval(Expr e, Scope scope) {
        return switch (e) {
            case IntLit i -> new Val.Int(i.value());
            case FloatLit f -> new Val.Real(f.value());
            case BoolLit b -> new Val.Bool(b.value());
            case StrLit s -> new Val.Str(s.value());
            case Name n -> {
                Val v = scope.names.get(n.name());
                if (v == null) {
                    // the checker reports undefined names in models and blocks; a train section's are found here
                    report(n.span(), "`" + n.name() + "` is not defined here", "defined: " + String.join(", ", new TreeSet<>(scope.names.keySet())));
                    v = new Val.Poison();
                }
                yield v;
            }
            case Neg n -> Operators.negate(this, eval(n.operand(), scope), n.span());
            case Binary b -> Operators.binary(this, b, eval(b.left(), scope), eval(b.right(), scope));
            case Call c -> call(c, scope);
        };
    }

    private Val call(Call c, Scope scope) {
        BlockDecl block = blocks.get(c.callee());
        if (block != null) return callBlock(c, block, scope);
        if (trainSection != null && trainSection.handles(c.callee())) return trainSection.call(c, scope);
        ModelDecl model = models.get(c.callee());
        if (model != null) return callModel(c, model, scope);
        Optional<Builtin> builtin = Builtin.of(c.callee());
        if (builtin.isEmpty()) return new Val.Poison(); // the checker reports unknown layers
        CallBinding binding;
        try {
            binding = CallBinding.of(c, builtin.get().signature());
        } catch (IllegalArgumentException e) {
            return new Val.Poison(); // the checker reports calls that do not fit
        }
        Map<String, Val> args = new HashMap<>();
        for (Map.Entry<String, Expr> a : binding.arguments().entrySet()) {
            Val v = eval(a.getValue(), scope);
            if (v instanceof Val.Poison) return v;
            args.put(a.getKey(), v);
        }
        List<Val> rest = new ArrayList<>();
        for (Expr e : binding.variadic()) rest.add(eval(e, scope));
        if (rest.stream().anyMatch(v -> v instanceof Val.Poison)) return new Val.Poison();
        return new Layers(this, c, binding, args, rest, scope).lower(builtin.get());
    }

    private Val callBlock(Call c, BlockDecl block, Scope caller) {
        Optional<Signature> sig = Signature.ofBlock(block);
        if (sig.isEmpty()) return new Val.Poison();
        CallBinding binding;
        try {
            binding = CallBinding.of(c, sig.get());
        } catch (IllegalArgumentException e) {
            return new Val.Poison();
        }
        if (depth > 64) {
            report(c.calleeSpan(), "blocks nest more than 64 deep", "is `" + block.name() + "` recursive?");
            return new Val.Poison();
        }
        // Arguments first: layers inside them (e.g. an earlier block in a pipeline) take their names before this block.
        Map<String, Val> passed = new HashMap<>();
        for (Param p : block.params()) {
            Expr argExpr = binding.arguments().get(p.name());
            if (argExpr == null || isDefault(p, argExpr)) continue;
            Val v = eval(argExpr, caller);
            if (v instanceof Val.Poison) return v;
            passed.put(p.name(), v);
        }
        Scope inner = new Scope(caller.prefix + caller.nextName(block.name().toLowerCase(Locale.ROOT)) + ".");
        for (Param p : block.params()) {
            Expr argExpr = binding.arguments().get(p.name());
            Val v = passed.containsKey(p.name()) ? passed.get(p.name()) : argExpr == null ? new Val.Poison() : eval(argExpr, inner);
            if (v instanceof Val.Poison) return v;
            if (p.type() instanceof TensorTypeRef t) {
                if (!(v instanceof Val.Tensor tensor)) {
                    report(argSpan(c, argExpr), "`" + block.name() + "` expects a tensor for `" + p.name() + "`, got " + v.describe(), null);
                    return new Val.Poison();
                }
                if (!unify(t, tensor.value(), inner, block.name(), p, argSpan(c, argExpr))) return new Val.Poison();
            }
            inner.bind(p.name(), v);
        }
        depth++;
        try {
            for (Stmt s : block.body()) {
                Val result = statement(s, inner);
                if (result != null) return result;
            }
        } finally {
            depth--;
        }
        return new Val.Poison(); // the checker reports blocks without return
    }

    /**
     * A model called like a function inside a multi-model train section: its inputs bound to the arguments, its
     * body lowered with its parameters shared by every call (at their current values), its first output returned.
     */
    private Val callModel(Call c, ModelDecl model, Scope caller) {
        if (c.args().size() != model.inputs().size() || c.args().stream().anyMatch(a -> a.name() != null)) {
            report(c.calleeSpan(), "`" + model.name() + "` takes " + model.inputs().size() + " positional tensor argument(s)", null);
            return new Val.Poison();
        }
        Scope inner = new Scope(MultiModel.modelPrefix(model.name()));
        for (int i = 0; i < model.inputs().size(); i++) {
            Param p = model.inputs().get(i);
            Val v = eval(c.args().get(i).value(), caller);
            if (v instanceof Val.Poison) return v;
            if (!(v instanceof Val.Tensor tensor) || !(p.type() instanceof TensorTypeRef t)) {
                report(c.args().get(i).span(), "`" + model.name() + "` expects a tensor for `" + p.name() + "`, got " + v.describe(), null);
                return new Val.Poison();
            }
            if (!unify(t, tensor.value(), inner, model.name(), p, c.args().get(i).span())) return new Val.Poison();
            inner.bind(p.name(), v);
        }
        depth++;
        try {
            for (Stmt st : model.body()) statement(st, inner);
        } finally {
            depth--;
        }
        Val out = inner.names.get(model.outputs().getFirst().name());
        return out != null ? out : new Val.Poison();
    }

    private static boolean isDefault(Param p, Expr e) {
        return p.defaultValue() == e;
    }

    private static Span argSpan(Call c, Expr e) {
        return e == null || e.span().isSynthetic() ? c.calleeSpan() : e.span();
    }

    /** Matches a block's declared parameter type against an argument, binding its dim symbols in {@code inner}. */
    private boolean unify(TensorTypeRef declared, Value actual, Scope inner, String owner, Param p, Span at) {
        Shape shape = actual.shape();
        String expected = "`" + owner + "` expects " + p.name() + ": " + describe(declared) + ", got " + actual.type();
        if (declared.dims().size() != shape.rank() || dtype(declared.dtype()) != actual.type().dtype()) {
            report(at, expected, null);
            return false;
        }
        for (int i = 0; i < shape.rank(); i++) {
            DimRef d = declared.dims().get(i);
            Dim dim = shape.dim(i);
            if (d.symbol() == null) {
                if (dim.batch() || dim.factor() != d.size()) {
                    report(at, expected + " (dimension " + (i + 1) + " is " + dim + ", not " + d.size() + ")", null);
                    return false;
                }
                continue;
            }
            Val bound = dim.batch() ? new Val.Batch(dim) : new Val.Int(dim.factor());
            Val previous = inner.names.putIfAbsent(d.symbol(), bound);
            if (previous != null && !previous.equals(bound)) {
                report(at, expected + " (`" + d.symbol() + "` would be both " + describeDim(previous) + " and " + dim + ")", null);
                return false;
            }
        }
        return true;
    }

    private static String describeDim(Val v) {
        return switch (v) {
            case Val.Int i -> Long.toString(i.value());
            case Val.Batch b -> b.dim().toString();
            default -> v.describe();
        };
    }

    private static String describe(TensorTypeRef t) {
        List<String> dims = t.dims().stream().map(d -> d.symbol() != null ? d.symbol() : Long.toString(d.size())).toList();
        return t.dtype() + "[" + String.join(", ", dims) + "]";
    }

    // ---- services for Layers and TrainSection ------------------------------------------------------

    boolean training() {
        return training;
    }

    GraphBuilder graph() {
        return graph;
    }

    /** Continues building on {@code next} (the graph after a training step's differentiation and updates). */
    void replaceGraph(GraphBuilder next) {
        graph = next;
    }

    /** Later model calls read parameter {@code name} as {@code value} (its value after a step's update). */
    void advance(String name, Value value) {
        current.put(name, value);
    }

    /** Starts the graph under construction. */
    GraphBuilder startGraph(String name, int maxBatch) {
        graph = new GraphBuilder(name, maxBatch);
        return graph;
    }

    /** Lowers the train section {@code train} in {@code scope}; null when it has errors (reported). */
    TrainSection.Lowered lowerSection(TrainDecl train, Scope scope) {
        trainSection = new TrainSection(this, train);
        return trainSection.lower(scope);
    }

    Program program() {
        return program;
    }

    /** The models callable in this train section (several trained together), by name. */
    Map<String, ModelDecl> models() {
        return models;
    }

    Val evaluate(Expr e, Scope scope) {
        return eval(e, scope);
    }

    /** The i32 scalar input {@code seed} that makes dropout masks and noise differ from step to step (created on first use). */
    Value randomSeed() {
        if (dropoutSeed == null) dropoutSeed = graph.input(Hyperparameters.SEED, new TensorType(DType.I32, Shape.scalar()));
        return dropoutSeed;
    }

    /** A distinct stream number for each dropout layer and noise input, so equal shapes still get independent numbers. */
    int nextRandomStream() {
        return dropoutStreams++;
    }

    Val add(Op op, String nameHint, Span at) {
        return add(op, nameHint, at, null);
    }

    Val add(Op op, String nameHint, Span at, String hint) {
        try {
            return new Val.Tensor(graph.add(op, nameHint));
        } catch (TypeError e) {
            report(at, e.getMessage(), hint);
            return new Val.Poison();
        }
    }

    Value addValue(Op op, String nameHint) {
        return graph.add(op, nameHint);
    }

    /** Declares a parameter; reports a clash with an earlier layer of the same name. */
    Value param(String name, TensorType type, Init init, Span at) {
        return param(name, type, init, dev.nnc.compiler.ir.Param.Role.WEIGHT, at);
    }

    Value param(String name, TensorType type, Init init, dev.nnc.compiler.ir.Param.Role role, Span at) {
        String tooBig = TensorLimits.tooBig("parameter `" + name + "` " + type, type.shape(), 1);
        if (tooBig != null) {
            report(at, tooBig, "use a smaller layer");
            return null;
        }
        if (!models.isEmpty()) {
            // models trained together: every call of a model reads the same parameters, at their current values
            Value known = current.get(name);
            if (known != null) return known;
            Value declared = graph.param(name, type, init, role);
            current.put(name, declared);
            return declared;
        }
        try {
            return graph.param(name, type, init, role);
        } catch (IllegalArgumentException e) {
            report(at, "two layers are named `" + name.substring(0, name.lastIndexOf('.')) + "`", "give each layer a unique name=");
            return null;
        }
    }

    /** In a training graph, {@code state} takes the value {@code next} after each step (batchnorm's running statistics). */
    void update(Value state, Value next) {
        graph.update(state, next);
    }

    void report(Span at, String message, String hint) {
        diagnostics.add(Diagnostic.error(at, message, hint));
    }

    /** Names in one model or block instance, and the counters that name its layers. */
    static final class Scope {
        final Map<String, Val> names = new HashMap<>();
        final String prefix;
        private final Map<String, Integer> counters = new HashMap<>();

        Scope(String prefix) {
            this.prefix = prefix;
        }

        void bind(String name, Val v) {
            names.put(name, v);
        }

        /** {@code kind1}, {@code kind2}, … in order of appearance within this scope. */
        String nextName(String kind) {
            return kind + counters.merge(kind, 1, Integer::sum);
        }
    }

    static Span spanOf(Call c, String param, CallBinding binding) {
        Expr e = binding.arguments().get(param);
        if (e == null || e.span().isSynthetic()) return c.calleeSpan();
        for (Arg a : c.args()) if (a.value() == e) return a.span();
        return e.span();
    }
}

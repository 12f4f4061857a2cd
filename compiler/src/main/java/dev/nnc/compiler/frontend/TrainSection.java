package dev.nnc.compiler.frontend;

import dev.nnc.compiler.autodiff.Autodiff;
import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Op.BinaryKind;
import dev.nnc.compiler.ir.Op.ReduceKind;
import dev.nnc.compiler.ir.Op.UnaryKind;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import dev.nnc.compiler.optim.Optimizers;
import dev.nnc.dsl.ArgKind;
import dev.nnc.dsl.CallBinding;
import dev.nnc.dsl.ParamDefault;
import dev.nnc.dsl.ParamSpec;
import dev.nnc.dsl.Signature;
import dev.nnc.dsl.Suggestions;
import dev.nnc.dsl.ast.BoolLit;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.DimRef;
import dev.nnc.dsl.ast.Expr;
import dev.nnc.dsl.ast.FloatLit;
import dev.nnc.dsl.ast.IntLit;
import dev.nnc.dsl.ast.ModelDecl;
import dev.nnc.dsl.ast.Name;
import dev.nnc.dsl.ast.Neg;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.ast.TensorTypeRef;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.Training.Optimizer;
import dev.nnc.runtime.Training.Schedule;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Lowers a model's {@code train} section: declares its targets as inputs, builds the loss from primitives
 * (cross-entropy over logits through a shifted log-sum-exp, binary cross-entropy with logits, mean squared
 * error, L1/L2 penalties), and reads the optimizer, schedule and loop settings. Reports every mistake at its
 * position.
 */
final class TrainSection {

    /** The loss, the optimizer and the loop settings of a train section. */
    record Lowered(Value loss, Optimizer optimizer, Map<String, String> settings, boolean complete) {}

    /** The loss functions a train section may call, by name; dispatched without a default, so each is lowered. */
    enum Loss {
        CROSS_ENTROPY, BCE_WITH_LOGITS, MSE, L1, L2;

        String dslName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Loss of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    private static final Map<String, Signature> LOSSES = catalog(
            signature("cross_entropy", "mean cross-entropy of logits [B, C] against i32 class labels [B]",
                    required("logits", ArgKind.TENSOR), required("target", ArgKind.TENSOR)),
            signature("bce_with_logits", "mean binary cross-entropy of logits against 0/1 targets of the same shape",
                    required("logits", ArgKind.TENSOR), required("target", ArgKind.TENSOR)),
            signature("mse", "mean squared error", required("prediction", ArgKind.TENSOR), required("target", ArgKind.TENSOR)),
            signature("l1", "sum of |w| over the given parameters", required("weights", ArgKind.TENSOR)),
            signature("l2", "sum of w² over the given parameters", required("weights", ArgKind.TENSOR)));

    static {
        if (!LOSSES.keySet().equals(EnumSet.allOf(Loss.class).stream().map(Loss::dslName).collect(Collectors.toSet()))) {
            throw new IllegalStateException("the loss catalog " + LOSSES.keySet() + " and the Loss enum disagree");
        }
    }

    private static final Map<String, Signature> OPTIMIZERS = catalog(
            signature("sgd", "stochastic gradient descent (torch.optim.SGD)", required("lr", ArgKind.FLOAT),
                    constant("momentum", ArgKind.FLOAT, new FloatLit(0, Span.SYNTHETIC)),
                    constant("nesterov", ArgKind.BOOL, new BoolLit(false, Span.SYNTHETIC)),
                    constant("weight_decay", ArgKind.FLOAT, new FloatLit(0, Span.SYNTHETIC))),
            signature("adam", "Adam (torch.optim.Adam)", required("lr", ArgKind.FLOAT),
                    constant("beta1", ArgKind.FLOAT, new FloatLit(0.9, Span.SYNTHETIC)),
                    constant("beta2", ArgKind.FLOAT, new FloatLit(0.999, Span.SYNTHETIC)),
                    constant("eps", ArgKind.FLOAT, new FloatLit(1e-8, Span.SYNTHETIC)),
                    constant("weight_decay", ArgKind.FLOAT, new FloatLit(0, Span.SYNTHETIC))),
            signature("adamw", "Adam with decoupled weight decay (torch.optim.AdamW)", required("lr", ArgKind.FLOAT),
                    constant("beta1", ArgKind.FLOAT, new FloatLit(0.9, Span.SYNTHETIC)),
                    constant("beta2", ArgKind.FLOAT, new FloatLit(0.999, Span.SYNTHETIC)),
                    constant("eps", ArgKind.FLOAT, new FloatLit(1e-8, Span.SYNTHETIC)),
                    constant("weight_decay", ArgKind.FLOAT, new FloatLit(0.01, Span.SYNTHETIC))));

    private static final Map<String, Signature> SCHEDULES = catalog(
            signature("constant", "the optimizer's lr throughout"),
            signature("step", "lr · gamma every `every` epochs (torch StepLR)", required("every", ArgKind.INT),
                    constant("gamma", ArgKind.FLOAT, new FloatLit(0.1, Span.SYNTHETIC))),
            signature("cosine", "cosine annealing from lr to eta_min over t_max epochs (default: all epochs)",
                    new ParamSpec("t_max", ArgKind.INT, new ParamDefault.Omittable()),
                    constant("eta_min", ArgKind.FLOAT, new FloatLit(0, Span.SYNTHETIC))));

    private static final List<String> SETTINGS = List.of("loss", "optimizer", "schedule", "batch", "epochs", "validation", "seed");
    private static final List<String> METRICS = List.of("val_loss", "val_accuracy");

    private final Frontend f;
    private final TrainDecl train;

    TrainSection(Frontend f, TrainDecl train) {
        this.f = f;
        this.train = train;
    }

    boolean handles(String callee) {
        return LOSSES.containsKey(callee);
    }

    /** Declares targets, evaluates the loss in the model's scope and reads the settings; null if anything is wrong. */
    Lowered lower(Frontend.Scope scope) {
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, TrainItem.Setting> byKey = new HashMap<>();
        List<TrainItem.Section> steps = new ArrayList<>();
        List<TrainItem.Named> metrics = new ArrayList<>();
        for (TrainItem item : train.items()) {
            switch (item) {
                case TrainItem.Target t -> target(t.name(), t.nameSpan(), t.type(), scope, settings);
                case TrainItem.Setting s -> {
                    if (SETTINGS.contains(s.key())) {
                        byKey.put(s.key(), s);
                    } else {
                        f.report(s.keySpan(), "unknown setting `" + s.key() + "`", closest(s.key(), SETTINGS));
                    }
                }
                case TrainItem.Declared d when d.key().equals("noise") -> noise(d, scope);
                case TrainItem.Declared d -> f.report(d.keySpan(), "unknown declaration `" + d.key() + "`", "did you mean `noise " + d.name() + ": …`?");
                case TrainItem.Listed l when l.key().equals("models") -> { }
                case TrainItem.Listed l -> f.report(l.keySpan(), "unknown setting `" + l.key() + "`", "only `models` lists names");
                case TrainItem.Section sec when sec.key().equals("step") -> steps.add(sec);
                case TrainItem.Section sec -> f.report(sec.keySpan(), "unknown section `" + sec.key() + "`", "did you mean `step " + sec.name() + " { … }`?");
                case TrainItem.Named n when n.key().equals("metric") -> metrics.add(n);
                case TrainItem.Named n -> f.report(n.keySpan(), "unknown setting `" + n.key() + "`", "did you mean `metric " + n.name() + " = …`?");
                case TrainItem.EarlyStop e -> {
                    if (!METRICS.contains(e.metric())) {
                        f.report(e.metricSpan(), "early stopping watches `val_loss` or `val_accuracy`, not `" + e.metric() + "`", closest(e.metric(), METRICS));
                    }
                    settings.put("early_stop_patience", Long.toString(e.patience()));
                    settings.put("early_stop_metric", e.metric());
                }
            }
        }
        for (String key : List.of("batch", "epochs", "seed")) {
            TrainItem.Setting s = byKey.get(key);
            if (s == null) continue;
            Long n = intValue(s.value());
            if (n == null || n < (key.equals("seed") ? 0 : 1)) {
                f.report(s.value().span(), "`" + key + "` expects " + (key.equals("seed") ? "a non-negative" : "a positive") + " integer", null);
            } else {
                settings.put(key, Long.toString(n));
            }
        }
        TrainItem.Setting validation = byKey.get("validation");
        if (validation != null) {
            Double v = number(validation.value());
            if (v == null || !(v > 0 && v < 1)) {
                f.report(validation.value().span(), "`validation` is the fraction of training data held out, in (0, 1)", "e.g. `validation 0.1`");
            } else {
                settings.put("validation", Double.toString(v));
            }
        }
        int epochs = Integer.parseInt(settings.getOrDefault("epochs", "10"));
        Schedule schedule = schedule(byKey.get("schedule"), epochs);
        if (!steps.isEmpty()) return steps(steps, metrics, byKey, schedule, settings, scope);
        if (!f.models().isEmpty()) {
            f.report(train.modelSpan(), "a train section with `models` trains them in `step` sections", "add `step name { loss …; optimizer …; updates Model }`");
            return null;
        }
        Value loss = loss(byKey.get("loss"), scope);
        Optimizer optimizer = optimizer(byKey.get("optimizer"), schedule);
        if (loss == null || optimizer == null) return null;
        metrics(metrics, scope);
        return new Lowered(loss, optimizer, settings, false);
    }

    /**
     * Several networks trained in alternation within each step (a GAN): every {@code step} in order computes its
     * loss, differentiates it, and updates the weights of the model it names. A later step reads the models as the
     * earlier steps left them, and no gradient flows back through those updates. The graph is complete afterwards
     * (forward, backward, updates); its outputs are {@code loss} (the sum), {@code loss_<step>} and the metrics.
     */
    private Lowered steps(List<TrainItem.Section> steps, List<TrainItem.Named> metrics, Map<String, TrainItem.Setting> byKey,
                          Schedule schedule, Map<String, String> settings, Frontend.Scope scope) {
        for (String key : List.of("loss", "optimizer")) {
            if (byKey.containsKey(key)) f.report(byKey.get(key).keySpan(), "`" + key + "` belongs inside each `step`", null);
        }
        if (schedule == null) return null;
        Set<Value> frozen = new HashSet<>();
        Map<String, Value> losses = new LinkedHashMap<>();
        Optimizer first = null;
        for (TrainItem.Section step : steps) {
            Map<String, TrainItem.Setting> items = new HashMap<>();
            for (TrainItem item : step.items()) {
                if (item instanceof TrainItem.Setting st && List.of("loss", "optimizer", "updates").contains(st.key())) {
                    items.put(st.key(), st);
                } else {
                    f.report(item.span(), "a step holds `loss`, `optimizer` and `updates`", null);
                }
            }
            TrainItem.Setting updates = items.get("updates");
            ModelDecl updated = updates != null && updates.value() instanceof Name n ? f.models().get(n.name()) : null;
            if (updated == null) {
                f.report(updates == null ? step.nameSpan() : updates.value().span(), "step `" + step.name() + "` must say which model it `updates`",
                        "one of " + f.models().keySet());
                return null;
            }
            Value loss = loss(items.get("loss"), scope);
            Optimizer optimizer = optimizer(items.get("optimizer"), schedule);
            if (loss == null || optimizer == null) return null;
            if (first == null) {
                first = optimizer;
            } else if (first.kind() != optimizer.kind() || first.beta1() != optimizer.beta1() || first.beta2() != optimizer.beta2()) {
                f.report(items.get("optimizer").value().span(), "every step must use the same optimizer and betas (they share the schedule and bias corrections)",
                        "learning rates and weight decay may differ");
                return null;
            }
            losses.put(step.name(), loss);
            String prefix = MultiModel.modelPrefix(updated.name());
            Autodiff.Result diff = Autodiff.differentiate(f.graph().build(), loss, frozen);
            Map<Param, Value> mine = new LinkedHashMap<>();
            diff.gradients().forEach((p, g) -> {
                if (p.name().startsWith(prefix)) mine.put(p, g);
            });
            GraphBuilder next = GraphBuilder.from(diff.graph());
            Optimizers.apply(next, optimizer, mine, optimizer.lr() / first.lr());
            f.replaceGraph(next);
            Graph built = next.build();
            for (Param p : mine.keySet()) {
                Value updatedValue = built.updates().get(p.value());
                f.advance(p.name(), updatedValue);
                frozen.add(updatedValue);
            }
        }
        Value total = null;
        for (Value l : losses.values()) total = total == null ? l : add(new Op.Binary(BinaryKind.ADD, total, l));
        f.graph().output("loss", total);
        losses.forEach((name, l) -> f.graph().output("loss_" + name, l));
        metrics(metrics, scope);
        return new Lowered(total, first, settings, true);
    }

    /** {@code metric name = expr}: an extra output of the training step, evaluated like the loss. */
    private void metrics(List<TrainItem.Named> metrics, Frontend.Scope scope) {
        for (TrainItem.Named m : metrics) {
            scope.bind("params", new Val.Weights());
            Val v = f.evaluate(m.value(), scope);
            scope.names.remove("params");
            if (v instanceof Val.Tensor t && t.value().type().dtype() == DType.F32) {
                f.graph().output(m.name(), t.value());
            } else if (!(v instanceof Val.Poison)) {
                f.report(m.value().span(), "a metric must be an f32 tensor, got " + v.describe(), null);
            }
        }
    }

    /** {@code noise z: f32[B, 64]}: uniform in [−1, 1), drawn afresh every step from the step's seed. */
    private void noise(TrainItem.Declared d, Frontend.Scope scope) {
        if (!(d.type() instanceof TensorTypeRef type) || !type.dtype().equals("f32")) {
            f.report(d.nameSpan(), "noise must be an f32 tensor", "e.g. `noise z: f32[B, 64]`");
            return;
        }
        Shape shape = shape(type, d.name(), scope);
        if (shape == null) return;
        Value u = add(new Op.RandomUniform(f.randomSeed(), shape, f.nextRandomStream()));
        scope.bind(d.name(), new Val.Tensor(add(new Op.Binary(BinaryKind.SUB, add(new Op.Binary(BinaryKind.MUL, u, constant(2))), constant(1)))));
    }

    private void target(String name, Span nameSpan, dev.nnc.dsl.ast.TypeRef typeRef, Frontend.Scope scope, Map<String, String> settings) {
        if (!(typeRef instanceof TensorTypeRef type)) return; // the checker reports scalar targets
        Shape shape = shape(type, name, scope);
        if (shape == null) return;
        DType dtype = type.dtype().equals("i32") ? DType.I32 : DType.F32;
        if (scope.names.containsKey(name) || f.graph().isNameTaken(name)) {
            f.report(nameSpan, "target `" + name + "` has the name of a value of the model", "rename the target");
            return;
        }
        scope.bind(name, new Val.Tensor(f.graph().input(name, new TensorType(dtype, shape))));
        settings.putIfAbsent("target_kind", dtype == DType.I32 ? "classes" : "values");
    }

    /** A declared shape whose only symbolic dimension is the batch, in front (or null, reported). */
    private Shape shape(TensorTypeRef type, String name, Frontend.Scope scope) {
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < type.dims().size(); i++) {
            DimRef d = type.dims().get(i);
            Val bound = d.symbol() == null ? null : scope.names.get(d.symbol());
            if (d.symbol() == null) {
                dims.add(Dim.of(d.size()));
            } else if (i == 0 && (bound instanceof Val.Batch || (bound == null && !f.models().isEmpty()))) {
                dims.add(Dim.batch(1));
            } else {
                f.report(d.span(), "the only symbolic dimension here is the batch, in front", "e.g. `" + name + ": f32[B, …]`");
                return null;
            }
        }
        return new Shape(dims);
    }

    // ---- the loss ---------------------------------------------------------------------------------

    private Value loss(TrainItem.Setting setting, Frontend.Scope scope) {
        if (setting == null) {
            f.report(train.modelSpan(), "the train section of `" + train.model() + "` has no `loss`", "e.g. `loss cross_entropy(logits, y)`");
            return null;
        }
        scope.bind("params", new Val.Weights());
        Val v = f.evaluate(setting.value(), scope);
        scope.names.remove("params");
        return switch (v) {
            case Val.Tensor t when t.value().shape().rank() == 0 && t.value().type().dtype() == DType.F32 -> t.value();
            case Val.Poison p -> null;
            default -> {
                f.report(setting.value().span(), "the loss must be an f32 scalar, got " + v.describe(),
                        "reduce it, e.g. with `mse(prediction, target)` which averages");
                yield null;
            }
        };
    }

    /** Lowers a loss function call; arguments are evaluated in the model's scope. */
    Val call(Call c, Frontend.Scope scope) {
        CallBinding binding;
        try {
            binding = CallBinding.of(c, LOSSES.get(c.callee()));
        } catch (IllegalArgumentException e) {
            f.report(c.calleeSpan(), e.getMessage(), LOSSES.get(c.callee()).describe());
            return new Val.Poison();
        }
        List<Val> args = new ArrayList<>();
        for (Expr e : binding.arguments().values()) {
            Val v = f.evaluate(e, scope);
            if (v instanceof Val.Poison) return v;
            args.add(v);
        }
        Loss loss = Loss.of(c.callee());
        return switch (loss) {
            case L1, L2 -> penalty(c, args.getFirst());
            case CROSS_ENTROPY, BCE_WITH_LOGITS, MSE -> {
                if (args.get(0) instanceof Val.Tensor(Value p) && loss != Loss.CROSS_ENTROPY
                        && (args.get(1) instanceof Val.Int || args.get(1) instanceof Val.Real)) {
                    // a number as the target means that value everywhere (a GAN's real/fake labels)
                    double v = args.get(1) instanceof Val.Int i ? i.value() : ((Val.Real) args.get(1)).value();
                    args.set(1, new Val.Tensor(add(new Op.Broadcast(constant((float) v), p.shape()))));
                }
                if (!(args.get(0) instanceof Val.Tensor(Value prediction)) || !(args.get(1) instanceof Val.Tensor(Value target))) {
                    f.report(c.calleeSpan(), "`" + c.callee() + "` expects two tensors, got " + args.get(0).describe() + " and " + args.get(1).describe(), null);
                    yield new Val.Poison();
                }
                yield switch (loss) {
                    case CROSS_ENTROPY -> crossEntropy(c, prediction, target);
                    case BCE_WITH_LOGITS -> sameShape(c, prediction, target) ? new Val.Tensor(bceWithLogits(prediction, target)) : new Val.Poison();
                    case MSE -> sameShape(c, prediction, target) ? new Val.Tensor(meanAll(square(sub(prediction, target)))) : new Val.Poison();
                    case L1, L2 -> throw new IllegalStateException("a penalty is not a loss of two tensors");
                };
            }
        };
    }

    /** mean over the batch of log Σ exp(z) − z[y], with z = logits − max(logits) so exp cannot overflow. */
    private Val crossEntropy(Call c, Value logits, Value target) {
        Shape ls = logits.shape();
        if (ls.rank() != 2 || !ls.hasBatch() || target.type().dtype() != DType.I32 || !target.shape().equals(new Shape(List.of(ls.dim(0))))) {
            f.report(c.calleeSpan(), "cross_entropy expects logits f32[B, C] and class labels i32[B], got " + logits.type() + " and " + target.type(),
                    ls.rank() == 2 ? "declare the target as `target y: i32[B]`" : null);
            return new Val.Poison();
        }
        Value z = sub(logits, add(new Op.Detach(add(new Op.Reduce(ReduceKind.MAX, logits, 1)))));   // a shift: no gradient through it
        Value logSumExp = add(new Op.Unary(UnaryKind.LOG, add(new Op.Reduce(ReduceKind.SUM, add(new Op.Unary(UnaryKind.EXP, z)), 1))));
        Value picked = add(new Op.Reduce(ReduceKind.SUM, binary(BinaryKind.MUL, z, add(new Op.OneHot(target, (int) ls.size(1)))), 1));
        return new Val.Tensor(meanAll(sub(logSumExp, picked)));
    }

    /** mean of max(x, 0) − x·t + log(1 + exp(−|x|)): stable for large |x| (PyTorch's BCEWithLogitsLoss). */
    private Value bceWithLogits(Value x, Value t) {
        Value relu = add(new Op.Unary(UnaryKind.RELU, x));
        Value softplus = add(new Op.Unary(UnaryKind.LOG, binary(BinaryKind.ADD, constant(1),
                add(new Op.Unary(UnaryKind.EXP, add(new Op.Unary(UnaryKind.NEG, add(new Op.Unary(UnaryKind.ABS, x)))))))));
        return meanAll(binary(BinaryKind.ADD, sub(relu, binary(BinaryKind.MUL, x, t)), softplus));
    }

    private Val penalty(Call c, Val arg) {
        if (!(arg instanceof Val.Weights)) {
            f.report(c.calleeSpan(), "`" + c.callee() + "` applies to `params`, got " + arg.describe(), "write `" + c.callee() + "(params)`");
            return new Val.Poison();
        }
        Value total = null;
        for (Param p : f.graph().build().trainable()) {
            Value w = p.value();
            Value term = sumAll(c.callee().equals("l1") ? add(new Op.Unary(UnaryKind.ABS, w)) : square(w));
            total = total == null ? term : binary(BinaryKind.ADD, total, term);
        }
        return new Val.Tensor(total != null ? total : constant(0));
    }

    private boolean sameShape(Call c, Value a, Value b) {
        if (a.type().equals(b.type())) return true;
        f.report(c.calleeSpan(), c.callee() + " expects a prediction and a target of the same type, got " + a.type() + " and " + b.type(), null);
        return false;
    }

    private Value sumAll(Value v) {
        Value s = v;
        for (int axis = v.shape().rank() - 1; axis >= 0; axis--) s = add(new Op.Reduce(ReduceKind.SUM, s, axis));
        return s.shape().rank() == 0 ? s : add(new Op.Reshape(s, Shape.scalar()));
    }

    /** Σ v / (number of elements), where the count includes the run-time batch. */
    private Value meanAll(Value v) {
        Shape s = v.shape();
        return binary(BinaryKind.DIV, sumAll(v), add(new Op.SizeOf(new Dim(s.perBatch(), s.hasBatch()))));
    }

    // ---- optimizer and schedule ------------------------------------------------------------------

    private Optimizer optimizer(TrainItem.Setting setting, Schedule schedule) {
        if (setting == null) {
            f.report(train.modelSpan(), "the train section of `" + train.model() + "` has no `optimizer`", "e.g. `optimizer adam(lr=1e-3)`");
            return null;
        }
        Map<String, Expr> args = bind(setting.value(), OPTIMIZERS, "optimizer");
        if (args == null || schedule == null) return null;
        String kind = ((Call) setting.value()).callee();
        Double lr = positive(args.get("lr"), "lr");
        Double decay = nonNegative(args.get("weight_decay"), "weight_decay");
        if (lr == null || decay == null) return null;
        try {
            return switch (kind) {
                case "sgd" -> {
                    Double momentum = nonNegative(args.get("momentum"), "momentum");
                    if (momentum == null) yield null;
                    yield new Optimizer(Optimizer.Kind.SGD, lr, momentum, args.get("nesterov") instanceof BoolLit(boolean n, Span s) && n,
                            0.9, 0.999, 1e-8, decay, schedule);
                }
                default -> {
                    Double beta1 = nonNegative(args.get("beta1"), "beta1");
                    Double beta2 = nonNegative(args.get("beta2"), "beta2");
                    Double eps = positive(args.get("eps"), "eps");
                    if (beta1 == null || beta2 == null || eps == null) yield null;
                    yield new Optimizer(kind.equals("adam") ? Optimizer.Kind.ADAM : Optimizer.Kind.ADAMW, lr, 0, false,
                            beta1, beta2, eps, decay, schedule);
                }
            };
        } catch (IllegalArgumentException e) {
            f.report(setting.value().span(), e.getMessage(), OPTIMIZERS.get(kind).describe());
            return null;
        }
    }

    private Schedule schedule(TrainItem.Setting setting, int epochs) {
        if (setting == null) return Schedule.constant();
        Expr value = setting.value() instanceof Name n ? new Call(n.name(), n.span(), List.of(), false, n.span()) : setting.value();
        Map<String, Expr> args = bind(value, SCHEDULES, "schedule");
        if (args == null) return null;
        try {
            return switch (((Call) value).callee()) {
                case "constant" -> Schedule.constant();
                case "step" -> {
                    Long every = intValue(args.get("every"));
                    Double gamma = number(args.get("gamma"));
                    if (every == null || gamma == null) yield null;
                    yield new Schedule(Schedule.Kind.STEP, every.intValue(), gamma, 0, 0);
                }
                default -> {
                    Long tMax = args.containsKey("t_max") ? intValue(args.get("t_max")) : Long.valueOf(epochs);
                    Double etaMin = number(args.get("eta_min"));
                    if (tMax == null || etaMin == null) yield null;
                    yield new Schedule(Schedule.Kind.COSINE, 0, 1, tMax.intValue(), etaMin);
                }
            };
        } catch (IllegalArgumentException e) {
            f.report(setting.value().span(), e.getMessage(), null);
            return null;
        }
    }

    /** Binds a call against one of a catalog's signatures, reporting an unknown name or a bad argument list. */
    private Map<String, Expr> bind(Expr value, Map<String, Signature> catalog, String what) {
        if (!(value instanceof Call c)) {
            f.report(value.span(), "`" + what + "` expects one of " + catalog.keySet(), null);
            return null;
        }
        Signature sig = catalog.get(c.callee());
        if (sig == null) {
            f.report(c.calleeSpan(), "unknown " + what + " `" + c.callee() + "`", closest(c.callee(), List.copyOf(catalog.keySet())));
            return null;
        }
        try {
            return CallBinding.of(c, sig).arguments();
        } catch (IllegalArgumentException e) {
            f.report(c.calleeSpan(), e.getMessage(), sig.describe());
            return null;
        }
    }

    private Double positive(Expr e, String name) {
        Double v = number(e);
        if (v == null || !(v > 0)) {
            f.report(e.span().isSynthetic() ? train.modelSpan() : e.span(), "`" + name + "` must be a positive number", null);
            return null;
        }
        return v;
    }

    private Double nonNegative(Expr e, String name) {
        Double v = number(e);
        if (v == null || v < 0) {
            f.report(e.span().isSynthetic() ? train.modelSpan() : e.span(), "`" + name + "` must be a number ≥ 0", null);
            return null;
        }
        return v;
    }

    private static Double number(Expr e) {
        return switch (e) {
            case IntLit i -> (double) i.value();
            case FloatLit x -> x.value();
            case Neg n -> {
                Double inner = number(n.operand());
                yield inner == null ? null : -inner;
            }
            default -> null;
        };
    }

    private static Long intValue(Expr e) {
        return switch (e) {
            case IntLit i -> i.value();
            case Neg n -> {
                Long inner = intValue(n.operand());
                yield inner == null ? null : -inner;
            }
            default -> null;
        };
    }

    private static String closest(String word, List<String> candidates) {
        return Suggestions.closest(word, candidates).map(c -> "did you mean `" + c + "`?").orElse("one of " + candidates);
    }

    // ---- graph construction ----------------------------------------------------------------------

    private Value add(Op op) {
        return f.graph().add(op, "loss");
    }

    private Value binary(BinaryKind kind, Value a, Value b) {
        return add(new Op.Binary(kind, a, b));
    }

    private Value sub(Value a, Value b) {
        return binary(BinaryKind.SUB, a, b);
    }

    private Value square(Value v) {
        return binary(BinaryKind.MUL, v, v);
    }

    private Value constant(float c) {
        return add(new Op.Constant(c));
    }

    private static Map<String, Signature> catalog(Signature... signatures) {
        Map<String, Signature> map = new LinkedHashMap<>();
        for (Signature s : signatures) map.put(s.name(), s);
        return map;
    }

    private static Signature signature(String name, String summary, ParamSpec... params) {
        return new Signature(name, List.of(params), false, summary);
    }

    private static ParamSpec required(String name, ArgKind kind) {
        return new ParamSpec(name, kind, new ParamDefault.Required());
    }

    private static ParamSpec constant(String name, ArgKind kind, Expr value) {
        return new ParamSpec(name, kind, new ParamDefault.Constant(value));
    }
}

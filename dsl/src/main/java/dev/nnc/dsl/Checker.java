package dev.nnc.dsl;

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
import dev.nnc.dsl.ast.ScalarTypeRef;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.ast.Stmt;
import dev.nnc.dsl.ast.StrLit;
import dev.nnc.dsl.ast.TensorTypeRef;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import dev.nnc.dsl.ast.TypeRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The semantic check of a parsed program: names resolve, calls fit their signatures, argument
 * kinds match, declarations are well formed. Every error is reported at once. Shapes are not
 * checked here (the compiler's frontend does that). Stateless and thread-safe.
 */
public final class Checker {

    private static final List<String> DTYPES = List.of("f32", "i32");
    private static final List<String> SCALAR_TYPES = List.of("int", "float", "bool");

    private Checker() {
    }

    /** Every semantic error in {@code program}, in source order; empty when the program is valid. */
    public static List<Diagnostic> check(Program program) {
        Context context = new Context();
        declarations(program, context);
        recursion(context);
        for (Decl decl : program.decls()) {
            switch (decl) {
                case ModelDecl model -> model(model, context);
                case BlockDecl block -> block(block, context);
                case TrainDecl train -> { }
            }
        }
        trainSections(program, context);
        return context.diagnostics.stream().sorted(Diagnostic.BY_POSITION).toList();
    }

    /** The kind of value an expression produces; UNKNOWN after an error already reported. */
    private enum Kind {
        TENSOR, INT, FLOAT, BOOL, STRING, UNKNOWN;

        static Kind of(ArgKind kind) {
            return valueOf(kind.name());
        }

        String withArticle() {
            return this == UNKNOWN ? "an unknown value" : ArgKind.valueOf(name()).withArticle();
        }
    }

    /** Per-check state: what is declared, and the diagnostics so far. */
    private static final class Context {
        final List<Diagnostic> diagnostics = new ArrayList<>();
        final Map<String, Decl> declared = new HashMap<>();
        final SequencedMap<String, ModelDecl> models = new LinkedHashMap<>();
        final SequencedMap<String, BlockDecl> blocks = new LinkedHashMap<>();
        final Map<String, Optional<Signature>> blockSignatures = new HashMap<>();

        void error(Span span, String message, String hint) {
            diagnostics.add(Diagnostic.error(span, message, hint));
        }

        Set<String> callableNames() {
            Set<String> names = new LinkedHashSet<>(blocks.keySet());
            Builtins.all().forEach(signature -> names.add(signature.name()));
            return names;
        }
    }

    private static void declarations(Program program, Context context) {
        for (Decl decl : program.decls()) {
            if (decl instanceof TrainDecl) {
                continue;
            }
            Decl first = context.declared.putIfAbsent(decl.name(), decl);
            if (first != null) {
                context.error(decl.nameSpan(), "`" + decl.name() + "` is already declared",
                        "first declared at " + first.nameSpan());
                continue;
            }
            switch (decl) {
                case ModelDecl model -> context.models.put(model.name(), model);
                case BlockDecl block when Builtins.lookup(block.name()).isPresent() -> context.error(block.nameSpan(),
                        "block `" + block.name() + "` has the name of a built-in layer", "rename the block");
                case BlockDecl block -> {
                    context.blocks.put(block.name(), block);
                    context.blockSignatures.put(block.name(), Signature.ofBlock(block));
                }
                case TrainDecl train -> { }
            }
        }
    }

    private static void recursion(Context context) {
        Map<String, Set<String>> callees = new HashMap<>();
        for (BlockDecl block : context.blocks.values()) {
            Set<String> called = new LinkedHashSet<>();
            Consumer<Call> collect = call -> {
                if (context.blocks.containsKey(call.callee())) {
                    called.add(call.callee());
                }
            };
            block.params().stream().filter(p -> p.defaultValue() != null).forEach(p -> calls(p.defaultValue(), collect));
            block.body().forEach(stmt -> calls(stmtValue(stmt), collect));
            callees.put(block.name(), called);
        }
        Set<String> reported = new HashSet<>();
        for (BlockDecl block : context.blocks.values()) {
            List<String> cycle = cycleThrough(block.name(), callees);
            if (!cycle.isEmpty() && cycle.stream().noneMatch(reported::contains)) {
                reported.addAll(cycle);
                context.error(block.nameSpan(), "block `" + block.name() + "` is recursive: "
                                + String.join(" -> ", cycle) + " -> " + block.name(),
                        "blocks are expanded inline, so a block cannot call itself");
            }
        }
    }

    /** The shortest call path from {@code start} back to itself (without repeating start at the end), or empty. */
    private static List<String> cycleThrough(String start, Map<String, Set<String>> callees) {
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            String current = queue.removeFirst();
            for (String next : callees.getOrDefault(current, Set.of())) {
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String at = current; at != null; at = parent.get(at)) {
                        path.addFirst(at);
                    }
                    return path;
                }
                if (!parent.containsKey(next) && !next.equals(start)) {
                    parent.put(next, current);
                    queue.addLast(next);
                }
            }
        }
        return List.of();
    }

    private static void model(ModelDecl model, Context context) {
        Map<String, Kind> scope = new LinkedHashMap<>();
        params(model.inputs(), context);
        DimRef batch = null;
        for (Param input : model.inputs()) {
            if (input.defaultValue() != null) {
                context.error(input.defaultValue().span(), "a model input cannot have a default value", null);
            }
            switch (input.type()) {
                case null -> context.error(input.nameSpan(), "model input `" + input.name() + "` needs a tensor type",
                        "e.g. `" + input.name() + ": f32[B, 784]`");
                case ScalarTypeRef scalar -> context.error(scalar.span(),
                        "model input `" + input.name() + "` must be a tensor, not `" + scalar.name() + "`",
                        "e.g. `" + input.name() + ": f32[B, 784]`");
                case TensorTypeRef tensor -> {
                    dtype(tensor, context);
                    for (int i = 0; i < tensor.dims().size(); i++) {
                        DimRef dim = tensor.dims().get(i);
                        dim(dim, context);
                        if (!dim.isSymbolic()) {
                            continue;
                        }
                        if (i > 0) {
                            context.error(dim.span(), "only the batch dimension may be symbolic",
                                    "give `" + dim.symbol() + "` a literal size; only the first dim may be a symbol");
                        } else if (batch == null) {
                            batch = dim;
                            scope.put(dim.symbol(), Kind.INT);
                        } else if (!batch.symbol().equals(dim.symbol())) {
                            context.error(dim.span(), "batch dimension `" + dim.symbol() + "` differs from `"
                                            + batch.symbol() + "` declared at " + batch.span(),
                                    "use `" + batch.symbol() + "` for the batch dimension of every input");
                        }
                    }
                }
            }
            scope.put(input.name(), Kind.TENSOR);
        }
        for (Stmt stmt : model.body()) {
            switch (stmt) {
                case Let let -> scope.put(let.name(), expr(let.value(), scope, context));
                case Return ret -> {
                    expr(ret.value(), scope, context);
                    context.error(ret.span(), "`return` is not allowed in a model",
                            "a model names its outputs after `->`; bind them with `name = ...`");
                }
            }
        }
        Set<String> listed = new HashSet<>();
        for (Ident output : model.outputs()) {
            Kind kind = scope.get(output.name());
            if (!listed.add(output.name())) {
                context.error(output.span(), "output `" + output.name() + "` is listed twice", null);
            } else if (kind == null) {
                context.error(output.span(), "output `" + output.name() + "` is never bound",
                        Suggestions.closest(output.name(), scope.keySet())
                                .map(Checker::didYouMean)
                                .orElse("bind it in the body: `" + output.name() + " = ...`"));
            } else if (kind != Kind.TENSOR && kind != Kind.UNKNOWN) {
                context.error(output.span(), "output `" + output.name() + "` is " + kind.withArticle()
                        + "; model outputs must be tensors", null);
            }
        }
    }

    private static void block(BlockDecl block, Context context) {
        Map<String, Kind> scope = new LinkedHashMap<>();
        params(block.params(), context);
        for (Param param : block.params()) {
            Kind kind = switch (param.type()) {
                case null -> Kind.TENSOR;
                case TensorTypeRef tensor -> {
                    dtype(tensor, context);
                    for (DimRef dim : tensor.dims()) {
                        dim(dim, context);
                        if (dim.isSymbolic()) {
                            scope.put(dim.symbol(), Kind.INT);
                        }
                    }
                    yield Kind.TENSOR;
                }
                case ScalarTypeRef scalar -> ArgKind.of(scalar).map(Kind::of).orElseGet(() -> {
                    context.error(scalar.span(), "unknown type `" + scalar.name() + "`",
                            Suggestions.closest(scalar.name(), SCALAR_TYPES).map(Checker::didYouMean)
                                    .orElse("use a tensor type such as `f32[B, C]`, or `int`, `float` or `bool`"));
                    return Kind.UNKNOWN;
                });
            };
            if (param.defaultValue() != null) {
                Kind given = expr(param.defaultValue(), scope, context);
                if (!fits(kind, given)) {
                    context.error(param.defaultValue().span(), "default of `" + param.name() + "` must be "
                            + kind.withArticle() + ", but it is " + given.withArticle(), null);
                }
            }
            scope.put(param.name(), kind);
        }
        Return firstReturn = null;
        boolean reportedUnreachable = false;
        for (Stmt stmt : block.body()) {
            if (firstReturn != null && !reportedUnreachable) {
                reportedUnreachable = true;
                context.error(stmt.span(), "unreachable statement after `return`", "a block ends at its `return`");
            }
            switch (stmt) {
                case Let let -> scope.put(let.name(), expr(let.value(), scope, context));
                case Return ret -> {
                    Kind kind = expr(ret.value(), scope, context);
                    if (kind != Kind.TENSOR && kind != Kind.UNKNOWN) {
                        context.error(ret.value().span(), "block `" + block.name() + "` must return a tensor, but this is "
                                + kind.withArticle(), null);
                    }
                    if (firstReturn == null) {
                        firstReturn = ret;
                    }
                }
            }
        }
        if (firstReturn == null) {
            context.error(block.nameSpan(), "block `" + block.name() + "` has no `return`",
                    "end the block with `return <tensor>`");
        }
    }

    private static void params(List<Param> params, Context context) {
        Map<String, Param> seen = new HashMap<>();
        for (Param param : params) {
            Param first = seen.putIfAbsent(param.name(), param);
            if (first != null) {
                context.error(param.nameSpan(), "duplicate parameter `" + param.name() + "`",
                        "first declared at " + first.nameSpan());
            }
        }
    }

    private static void dtype(TensorTypeRef tensor, Context context) {
        if (!DTYPES.contains(tensor.dtype())) {
            Span at = new Span(tensor.span().line(), tensor.span().col(), tensor.span().line(),
                    tensor.span().col() + tensor.dtype().length());
            context.error(at, "unknown dtype `" + tensor.dtype() + "`", "use `f32` or `i32`");
        }
    }

    private static void dim(DimRef dim, Context context) {
        if (dim.isSymbolic() && dim.max() != null && dim.max() < 1) {
            context.error(dim.span(), "the maximum of `" + dim.symbol() + "` must be at least 1, got " + dim.max(),
                    null);
        }
        if (!dim.isSymbolic() && dim.size() < 1) {
            context.error(dim.span(), "a dimension must have size at least 1, got " + dim.size(), null);
        }
    }

    private static void trainSections(Program program, Context context) {
        Map<String, TrainDecl> trained = new HashMap<>();
        for (Decl decl : program.decls()) {
            if (!(decl instanceof TrainDecl train)) {
                continue;
            }
            List<Ident> listed = train.items().stream().filter(i -> i instanceof TrainItem.Listed l && l.key().equals("models"))
                    .flatMap(i -> ((TrainItem.Listed) i).names().stream()).toList();
            if (!listed.isEmpty()) {
                // a section training several models together (a GAN) is named freely; its models must exist
                for (Ident m : listed) {
                    if (!context.models.containsKey(m.name())) {
                        context.error(m.span(), "unknown model `" + m.name() + "`",
                                Suggestions.closest(m.name(), context.models.keySet()).map(Checker::didYouMean).orElse(null));
                    }
                }
            } else if (!context.models.containsKey(train.model())) {
                String hint = context.blocks.containsKey(train.model())
                        ? "`" + train.model() + "` is a block; only models are trained"
                        : Suggestions.closest(train.model(), context.models.keySet()).map(Checker::didYouMean)
                                .orElse(null);
                context.error(train.modelSpan(), "unknown model `" + train.model() + "`", hint);
            } else {
                TrainDecl first = trained.putIfAbsent(train.model(), train);
                if (first != null) {
                    context.error(train.modelSpan(), "model `" + train.model() + "` already has a `train` section",
                            "first at " + first.modelSpan());
                }
            }
            trainItems(train, context);
        }
    }

    private static void trainItems(TrainDecl train, Context context) {
        trainItems(train.items(), context);
    }

    private static void trainItems(List<TrainItem> items, Context context) {
        Map<String, Span> seen = new HashMap<>();
        for (TrainItem item : items) {
            switch (item) {
                case TrainItem.Target target -> {
                    once("target `" + target.name() + "`", target.nameSpan(), seen, context);
                    switch (target.type()) {
                        case TensorTypeRef tensor -> {
                            dtype(tensor, context);
                            tensor.dims().forEach(dim -> dim(dim, context));
                        }
                        case ScalarTypeRef scalar -> context.error(scalar.span(),
                                "target `" + target.name() + "` must be a tensor, not `" + scalar.name() + "`",
                                "e.g. `target " + target.name() + ": i32[B]`");
                    }
                }
                case TrainItem.Setting setting -> {
                    once("setting `" + setting.key() + "`", setting.keySpan(), seen, context);
                    setting(setting, context);
                }
                case TrainItem.Declared declared -> {
                    once(declared.key() + " `" + declared.name() + "`", declared.nameSpan(), seen, context);
                    if (declared.type() instanceof TensorTypeRef tensor) {
                        dtype(tensor, context);
                        tensor.dims().forEach(dim -> dim(dim, context));
                    }
                }
                case TrainItem.Listed listed -> once("setting `" + listed.key() + "`", listed.keySpan(), seen, context);
                case TrainItem.Section section -> {
                    once(section.key() + " `" + section.name() + "`", section.nameSpan(), seen, context);
                    trainItems(section.items(), context);
                }
                case TrainItem.Named named -> once(named.key() + " `" + named.name() + "`", named.nameSpan(), seen, context);
                case TrainItem.EarlyStop stop -> {
                    once("setting `early_stop`", stop.span(), seen, context);
                    if (stop.patience() < 1) {
                        context.error(stop.patienceSpan(), "patience must be at least 1, got " + stop.patience(),
                                null);
                    }
                }
            }
        }
    }

    private static void setting(TrainItem.Setting setting, Context context) {
        switch (setting.key()) {
            case "batch", "epochs" -> {
                if (!(setting.value() instanceof IntLit(long value, Span span)) || value < 1) {
                    context.error(setting.value().span(), "`" + setting.key() + "` expects a positive integer",
                            "e.g. `" + setting.key() + " " + ("batch".equals(setting.key()) ? 64 : 10) + "`");
                }
            }
            case "optimizer" -> {
                if (!(setting.value() instanceof Call call) || call.piped()) {
                    context.error(setting.value().span(), "`optimizer` expects a call",
                            "e.g. `optimizer adam(lr=1e-3)`");
                }
            }
            default -> { }
        }
    }

    private static void once(String what, Span at, Map<String, Span> seen, Context context) {
        Span first = seen.putIfAbsent(what, at);
        if (first != null) {
            context.error(at, "duplicate " + what, "first set at " + first);
        }
    }

    private static Kind expr(Expr expr, Map<String, Kind> scope, Context context) {
        return switch (expr) {
            case Name name -> {
                Kind kind = scope.get(name.name());
                if (kind == null) {
                    context.error(name.span(), "undefined name `" + name.name() + "`",
                            Suggestions.closest(name.name(), scope.keySet()).map(Checker::didYouMean).orElse(null));
                    yield Kind.UNKNOWN;
                }
                yield kind;
            }
            case IntLit lit -> Kind.INT;
            case FloatLit lit -> Kind.FLOAT;
            case BoolLit lit -> Kind.BOOL;
            case StrLit lit -> Kind.STRING;
            case Neg neg -> {
                Kind operand = expr(neg.operand(), scope, context);
                if (operand == Kind.BOOL || operand == Kind.STRING) {
                    context.error(neg.span(), "cannot negate " + operand.withArticle(), null);
                    yield Kind.UNKNOWN;
                }
                yield operand;
            }
            case Binary binary -> {
                Kind left = expr(binary.left(), scope, context);
                Kind right = expr(binary.right(), scope, context);
                Optional<Kind> invalid = Stream.of(left, right).filter(k -> k == Kind.BOOL || k == Kind.STRING)
                        .findFirst();
                if (invalid.isPresent()) {
                    context.error(binary.opSpan(), "operator `" + binary.op().symbol() + "` cannot be applied to "
                            + invalid.get().withArticle(), null);
                    yield Kind.UNKNOWN;
                }
                if (left == Kind.UNKNOWN || right == Kind.UNKNOWN) {
                    yield Kind.UNKNOWN;
                }
                if (left == Kind.TENSOR || right == Kind.TENSOR) {
                    yield Kind.TENSOR;
                }
                yield left == Kind.INT && right == Kind.INT ? Kind.INT : Kind.FLOAT;
            }
            case Call call -> call(call, scope, context);
        };
    }

    private static Kind call(Call call, Map<String, Kind> scope, Context context) {
        Map<Arg, Kind> kinds = new IdentityHashMap<>();
        for (Arg arg : call.args()) {
            kinds.put(arg, expr(arg.value(), scope, context));
        }
        Optional<Signature> signature = Builtins.lookup(call.callee())
                .or(() -> context.blockSignatures.getOrDefault(call.callee(), Optional.empty()));
        if (signature.isEmpty()) {
            if (context.blocks.containsKey(call.callee())) {
                return Kind.TENSOR;
            }
            unknownCallee(call, scope, context);
            return Kind.UNKNOWN;
        }
        Signature sig = signature.get();
        CallBinding.Attempt attempt = CallBinding.attempt(call, sig);
        context.diagnostics.addAll(attempt.problems());
        attempt.written().forEach((paramName, arg) -> {
            ArgKind expected = sig.param(paramName).orElseThrow().kind();
            Kind given = kinds.get(arg);
            if (!fits(Kind.of(expected), given)) {
                context.error(arg.value().span(), "argument `" + paramName + "` of `" + sig.name() + "` must be "
                        + expected.withArticle() + ", but got " + given.withArticle(), sig.describe());
            }
        });
        for (Expr extra : attempt.binding().variadic()) {
            Kind given = call.args().stream().filter(a -> a.value() == extra).findFirst().map(kinds::get)
                    .orElse(Kind.UNKNOWN);
            if (!fits(Kind.INT, given)) {
                context.error(extra.span(), "the dims of `" + sig.name() + "` must be ints, but got "
                        + given.withArticle(), sig.describe());
            }
        }
        return Kind.TENSOR;
    }

    private static void unknownCallee(Call call, Map<String, Kind> scope, Context context) {
        if (context.models.containsKey(call.callee())) {
            context.error(call.calleeSpan(), "`" + call.callee() + "` is a model; only layers and blocks can be called",
                    "declare it as a `block` to reuse it");
        } else if (scope.containsKey(call.callee())) {
            context.error(call.calleeSpan(), "`" + call.callee() + "` is a value, not a layer or block",
                    Suggestions.closest(call.callee(), context.callableNames()).map(Checker::didYouMean).orElse(null));
        } else {
            context.error(call.calleeSpan(), "unknown layer `" + call.callee() + "`",
                    Suggestions.closest(call.callee(), context.callableNames()).map(Checker::didYouMean).orElse(null));
        }
    }

    /** Whether a value of kind {@code given} may stand where {@code expected} is needed; unknown fits anything. */
    private static boolean fits(Kind expected, Kind given) {
        if (expected == Kind.UNKNOWN || given == Kind.UNKNOWN) {
            return true;
        }
        return ArgKind.valueOf(expected.name()).accepts(ArgKind.valueOf(given.name()));
    }

    private static Expr stmtValue(Stmt stmt) {
        return switch (stmt) {
            case Let let -> let.value();
            case Return ret -> ret.value();
        };
    }

    /** Visits every call in an expression, outermost first. */
    private static void calls(Expr expr, Consumer<Call> visitor) {
        switch (expr) {
            case Call call -> {
                visitor.accept(call);
                call.args().forEach(arg -> calls(arg.value(), visitor));
            }
            case Binary binary -> {
                calls(binary.left(), visitor);
                calls(binary.right(), visitor);
            }
            case Neg neg -> calls(neg.operand(), visitor);
            case Name name -> { }
            case IntLit lit -> { }
            case FloatLit lit -> { }
            case BoolLit lit -> { }
            case StrLit lit -> { }
        }
    }

    private static String didYouMean(String name) {
        return "did you mean `" + name + "`?";
    }
}

package dev.nnc.dsl.ast;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Prints a {@link Program} as an indented tree, one node per line, for people
 * ({@code nnc compile --emit ast}) and for golden tests. Spans are not printed.
 *
 * <p>Expressions appear as {@code call NAME} (with {@code piped} for a pipeline stage) followed by
 * its arguments, {@code name X}, {@code int N}, {@code float X}, {@code bool B}, {@code string "S"},
 * {@code neg} and the binary operator symbols; a named argument is a line {@code NAME=} above its
 * value.
 */
public final class AstPrinter {

    private static final String INDENT = "  ";

    private AstPrinter() {
    }

    /** The whole program as a tree; every line ends with a newline. */
    public static String print(Program program) {
        StringBuilder out = new StringBuilder();
        for (Decl decl : program.decls()) {
            switch (decl) {
                case ModelDecl model -> printModel(model, out);
                case BlockDecl block -> printBlock(block, out);
                case TrainDecl train -> printTrain(train, out);
            }
        }
        return out.toString();
    }

    /** One expression as a tree starting at the given depth. */
    public static String print(Expr expr) {
        StringBuilder out = new StringBuilder();
        printExpr(expr, 0, out);
        return out.toString();
    }

    /** A type in source syntax, e.g. {@code f32[B<=64, 784]}. */
    public static String typeText(TypeRef type) {
        return switch (type) {
            case ScalarTypeRef scalar -> scalar.name();
            case TensorTypeRef tensor -> tensor.dtype() + tensor.dims().stream()
                    .map(AstPrinter::dimText)
                    .collect(Collectors.joining(", ", "[", "]"));
        };
    }

    /** An expression on one line in source syntax; pipelines are shown as the calls they mean. */
    public static String inline(Expr expr) {
        return switch (expr) {
            case Name name -> name.name();
            case IntLit lit -> Long.toString(lit.value());
            case FloatLit lit -> Double.toString(lit.value());
            case BoolLit lit -> Boolean.toString(lit.value());
            case StrLit lit -> quote(lit.value());
            case Neg neg -> "-" + inlineOperand(neg.operand());
            case Binary binary -> inlineOperand(binary.left()) + " " + binary.op().symbol() + " "
                    + inlineOperand(binary.right());
            case Call call -> call.callee() + call.args().stream()
                    .map(arg -> (arg.isPositional() ? "" : arg.name() + "=") + inline(arg.value()))
                    .collect(Collectors.joining(", ", "(", ")"));
        };
    }

    private static String inlineOperand(Expr expr) {
        return expr instanceof Binary ? "(" + inline(expr) + ")" : inline(expr);
    }

    private static String dimText(DimRef dim) {
        if (!dim.isSymbolic()) {
            return Long.toString(dim.size());
        }
        return dim.max() == null ? dim.symbol() : dim.symbol() + "<=" + dim.max();
    }

    private static void printModel(ModelDecl model, StringBuilder out) {
        line(out, 0, "model " + model.name());
        for (Param input : model.inputs()) {
            printParam("input", input, out);
        }
        for (Ident output : model.outputs()) {
            line(out, 1, "output " + output.name());
        }
        printBody(model.body(), out);
    }

    private static void printBlock(BlockDecl block, StringBuilder out) {
        line(out, 0, "block " + block.name());
        for (Param param : block.params()) {
            printParam("param", param, out);
        }
        printBody(block.body(), out);
    }

    private static void printParam(String kind, Param param, StringBuilder out) {
        String type = param.type() == null ? "" : ": " + typeText(param.type());
        line(out, 1, kind + " " + param.name() + type);
        if (param.defaultValue() != null) {
            line(out, 2, "default");
            printExpr(param.defaultValue(), 3, out);
        }
    }

    private static void printBody(List<Stmt> body, StringBuilder out) {
        for (Stmt stmt : body) {
            switch (stmt) {
                case Let let -> {
                    line(out, 1, "let " + let.name());
                    printExpr(let.value(), 2, out);
                }
                case Return ret -> {
                    line(out, 1, "return");
                    printExpr(ret.value(), 2, out);
                }
            }
        }
    }

    private static void printTrain(TrainDecl train, StringBuilder out) {
        line(out, 0, "train " + train.model());
        printTrainItems(train.items(), 1, out);
    }

    private static void printTrainItems(List<TrainItem> items, int depth, StringBuilder out) {
        for (TrainItem item : items) {
            switch (item) {
                case TrainItem.Target target ->
                        line(out, depth, "target " + target.name() + ": " + typeText(target.type()));
                case TrainItem.Setting setting -> {
                    line(out, depth, "setting " + setting.key());
                    printExpr(setting.value(), depth + 1, out);
                }
                case TrainItem.EarlyStop stop ->
                        line(out, depth, "early_stop patience " + stop.patience() + " on " + stop.metric());
                case TrainItem.Declared declared ->
                        line(out, depth, declared.key() + " " + declared.name() + ": " + typeText(declared.type()));
                case TrainItem.Listed listed ->
                        line(out, depth, listed.key() + " " + String.join(", ", listed.names().stream().map(Ident::name).toList()));
                case TrainItem.Section section -> {
                    line(out, depth, section.key() + " " + section.name());
                    printTrainItems(section.items(), depth + 1, out);
                }
                case TrainItem.Named named -> {
                    line(out, depth, named.key() + " " + named.name() + " =");
                    printExpr(named.value(), depth + 1, out);
                }
            }
        }
    }

    private static void printExpr(Expr expr, int depth, StringBuilder out) {
        switch (expr) {
            case Name name -> line(out, depth, "name " + name.name());
            case IntLit lit -> line(out, depth, "int " + lit.value());
            case FloatLit lit -> line(out, depth, "float " + lit.value());
            case BoolLit lit -> line(out, depth, "bool " + lit.value());
            case StrLit lit -> line(out, depth, "string " + quote(lit.value()));
            case Neg neg -> {
                line(out, depth, "neg");
                printExpr(neg.operand(), depth + 1, out);
            }
            case Binary binary -> {
                line(out, depth, binary.op().symbol());
                printExpr(binary.left(), depth + 1, out);
                printExpr(binary.right(), depth + 1, out);
            }
            case Call call -> {
                line(out, depth, "call " + call.callee() + (call.piped() ? " piped" : ""));
                for (Arg arg : call.args()) {
                    if (arg.isPositional()) {
                        printExpr(arg.value(), depth + 1, out);
                    } else {
                        line(out, depth + 1, arg.name() + "=");
                        printExpr(arg.value(), depth + 2, out);
                    }
                }
            }
        }
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static void line(StringBuilder out, int depth, String text) {
        out.append(INDENT.repeat(depth)).append(text).append('\n');
    }
}

package dev.nnc.dsl;

import dev.nnc.dsl.ast.Arg;
import dev.nnc.dsl.ast.BinOp;
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
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.ast.Stmt;
import dev.nnc.dsl.ast.StrLit;
import dev.nnc.dsl.ast.TensorTypeRef;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import dev.nnc.dsl.ast.TypeRef;
import dev.nnc.dsl.grammar.NnBaseVisitor;
import dev.nnc.dsl.grammar.NnParser;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Turns a parse tree without syntax errors into AST records. A pipeline {@code a |> f(b)} becomes
 * {@code Call("f", [a, b], piped=true)}. One instance per parse (it carries the diagnostic sink).
 */
final class AstBuilder extends NnBaseVisitor<Expr> {

    private final Consumer<Diagnostic> diagnostics;

    AstBuilder(Consumer<Diagnostic> diagnostics) {
        this.diagnostics = diagnostics;
    }

    Program program(SourceFile source, NnParser.ProgramContext ctx) {
        List<Decl> decls = new ArrayList<>();
        for (NnParser.DeclContext decl : ctx.decl()) {
            if (decl.modelDecl() != null) {
                decls.add(model(decl.modelDecl()));
            } else if (decl.blockDecl() != null) {
                decls.add(block(decl.blockDecl()));
            } else {
                decls.add(train(decl.trainDecl()));
            }
        }
        return new Program(source, decls);
    }

    private ModelDecl model(NnParser.ModelDeclContext ctx) {
        List<Ident> outputs = switch (ctx.outputs()) {
            case NnParser.SingleOutputContext single -> List.of(ident(single.ID()));
            case NnParser.OutputTupleContext tuple -> tuple.ID().stream().map(AstBuilder::ident).toList();
            default -> throw new IllegalStateException("unknown outputs form " + ctx.outputs().getText());
        };
        return new ModelDecl(ctx.name.getText(), span(ctx.name), params(ctx.paramList()), outputs, body(ctx.body()),
                span(ctx));
    }

    private BlockDecl block(NnParser.BlockDeclContext ctx) {
        return new BlockDecl(ctx.name.getText(), span(ctx.name), params(ctx.paramList()), body(ctx.body()), span(ctx));
    }

    private TrainDecl train(NnParser.TrainDeclContext ctx) {
        return new TrainDecl(ctx.model.getText(), span(ctx.model), trainItems(ctx.trainItem()), span(ctx));
    }

    private List<TrainItem> trainItems(List<NnParser.TrainItemContext> contexts) {
        List<TrainItem> items = new ArrayList<>();
        for (NnParser.TrainItemContext item : contexts) {
            items.add(switch (item) {
                case NnParser.TargetItemContext target -> new TrainItem.Target(target.ID().getText(),
                        span(target.ID()), type(target.typeRef()), span(target));
                case NnParser.EarlyStopItemContext stop -> new TrainItem.EarlyStop(integer(stop.INT()),
                        span(stop.INT()), stop.ID().getText(), span(stop.ID()), span(stop));
                case NnParser.SettingItemContext setting -> new TrainItem.Setting(setting.key.getText(),
                        span(setting.key), visit(setting.expr()), span(setting));
                case NnParser.DeclItemContext decl -> new TrainItem.Declared(decl.key.getText(), span(decl.key), decl.name.getText(),
                        span(decl.name), type(decl.typeRef()), span(decl));
                case NnParser.ListItemContext list -> new TrainItem.Listed(list.key.getText(), span(list.key),
                        list.ID().subList(1, list.ID().size()).stream().map(id -> new Ident(id.getText(), span(id))).toList(), span(list));
                case NnParser.SectionItemContext section -> new TrainItem.Section(section.key.getText(), span(section.key),
                        section.name.getText(), span(section.name), trainItems(section.trainItem()), span(section));
                case NnParser.NamedItemContext named -> new TrainItem.Named(named.key.getText(), span(named.key), named.name.getText(),
                        span(named.name), visit(named.expr()), span(named));
                default -> throw new IllegalStateException("unknown train item " + item.getText());
            });
        }
        return items;
    }

    private List<Param> params(NnParser.ParamListContext ctx) {
        if (ctx == null) {
            return List.of();
        }
        return ctx.param().stream().map(param -> new Param(param.ID().getText(), span(param.ID()),
                param.typeRef() == null ? null : type(param.typeRef()),
                param.expr() == null ? null : visit(param.expr()), span(param))).toList();
    }

    private TypeRef type(NnParser.TypeRefContext ctx) {
        return switch (ctx) {
            case NnParser.TensorTypeContext tensor -> new TensorTypeRef(tensor.dtype.getText(),
                    tensor.dim().stream().map(this::dim).toList(), span(tensor));
            case NnParser.ScalarTypeContext scalar -> new ScalarTypeRef(scalar.ID().getText(), span(scalar));
            default -> throw new IllegalStateException("unknown type form " + ctx.getText());
        };
    }

    private DimRef dim(NnParser.DimContext ctx) {
        return switch (ctx) {
            case NnParser.LiteralDimContext literal -> new DimRef(null, integer(literal.INT()), null, span(literal));
            case NnParser.SymbolicDimContext symbolic -> new DimRef(symbolic.ID().getText(), 0,
                    symbolic.INT() == null ? null : integer(symbolic.INT()), span(symbolic));
            default -> throw new IllegalStateException("unknown dim form " + ctx.getText());
        };
    }

    private List<Stmt> body(NnParser.BodyContext ctx) {
        List<Stmt> stmts = new ArrayList<>();
        for (NnParser.StmtContext stmt : ctx.stmt()) {
            stmts.add(switch (stmt) {
                case NnParser.LetStmtContext let -> new Let(let.ID().getText(), span(let.ID()), visit(let.expr()),
                        span(let));
                case NnParser.ReturnStmtContext ret -> new Return(visit(ret.expr()), span(ret));
                default -> throw new IllegalStateException("unknown statement " + stmt.getText());
            });
        }
        return stmts;
    }

    @Override
    public Expr visitCallExpr(NnParser.CallExprContext ctx) {
        return new Call(ctx.callee.getText(), span(ctx.callee), args(ctx.callArgs()), false, span(ctx));
    }

    @Override
    public Expr visitPipeExpr(NnParser.PipeExprContext ctx) {
        Expr input = visit(ctx.expr());
        List<Arg> args = new ArrayList<>();
        args.add(new Arg(null, input, input.span()));
        if (ctx.callArgs() != null) {
            args.addAll(args(ctx.callArgs()));
        }
        return new Call(ctx.callee.getText(), span(ctx.callee), args, true, span(ctx));
    }

    @Override
    public Expr visitNameExpr(NnParser.NameExprContext ctx) {
        return new Name(ctx.getText(), span(ctx));
    }

    @Override
    public Expr visitIntExpr(NnParser.IntExprContext ctx) {
        return new IntLit(integer(ctx.INT()), span(ctx));
    }

    @Override
    public Expr visitFloatExpr(NnParser.FloatExprContext ctx) {
        return new FloatLit(Double.parseDouble(ctx.getText()), span(ctx));
    }

    @Override
    public Expr visitBoolExpr(NnParser.BoolExprContext ctx) {
        return new BoolLit(ctx.TRUE() != null, span(ctx));
    }

    @Override
    public Expr visitStringExpr(NnParser.StringExprContext ctx) {
        String quoted = ctx.getText();
        return new StrLit(unescape(quoted.substring(1, quoted.length() - 1)), span(ctx));
    }

    @Override
    public Expr visitParenExpr(NnParser.ParenExprContext ctx) {
        return visit(ctx.expr());
    }

    @Override
    public Expr visitNegExpr(NnParser.NegExprContext ctx) {
        return new Neg(visit(ctx.expr()), span(ctx));
    }

    @Override
    public Expr visitMulExpr(NnParser.MulExprContext ctx) {
        return binary(ctx.op, ctx.op.getType() == NnParser.STAR ? BinOp.MUL : BinOp.DIV, ctx.expr(0), ctx.expr(1), ctx);
    }

    @Override
    public Expr visitAddExpr(NnParser.AddExprContext ctx) {
        return binary(ctx.op, ctx.op.getType() == NnParser.PLUS ? BinOp.ADD : BinOp.SUB, ctx.expr(0), ctx.expr(1), ctx);
    }

    private Expr binary(Token op, BinOp kind, NnParser.ExprContext left, NnParser.ExprContext right,
                        ParserRuleContext whole) {
        return new Binary(kind, visit(left), visit(right), span(op), span(whole));
    }

    private List<Arg> args(NnParser.CallArgsContext ctx) {
        return ctx.arg().stream()
                .map(arg -> new Arg(arg.ID() == null ? null : arg.ID().getText(), visit(arg.expr()), span(arg)))
                .toList();
    }

    private long integer(TerminalNode literal) {
        try {
            return Long.parseLong(literal.getText());
        } catch (NumberFormatException tooLarge) {
            diagnostics.accept(Diagnostic.error(span(literal), "integer literal `" + literal.getText() + "` is too large",
                    "integers must be at most " + Long.MAX_VALUE));
            return 0;
        }
    }

    private static String unescape(String body) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 1 < body.length()) {
                char next = body.charAt(++i);
                out.append(switch (next) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> next;
                });
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static Ident ident(TerminalNode node) {
        return new Ident(node.getText(), span(node));
    }

    private static Span span(TerminalNode node) {
        return span(node.getSymbol());
    }

    private static Span span(Token token) {
        return SyntaxErrors.spanOf(token);
    }

    private static Span span(ParserRuleContext ctx) {
        Token start = ctx.getStart();
        Token stop = ctx.getStop() == null || ctx.getStop().getTokenIndex() < start.getTokenIndex()
                ? start : ctx.getStop();
        Span first = span(start);
        Span last = span(stop);
        return new Span(first.line(), first.col(), last.endLine(), last.endCol());
    }
}

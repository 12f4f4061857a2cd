package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.ast.Binary;

/** The DSL's arithmetic: {@code -x} and {@code + - * /} on integers, reals and tensors (broadcasting NumPy-style). */
final class Operators {

    private Operators() {}

    static Val negate(Frontend f, Val v, Span span) {
        return switch (v) {
            case Val.Int i -> new Val.Int(-i.value());
            case Val.Real r -> new Val.Real(-r.value());
            case Val.Tensor t -> f.add(new Op.Unary(Op.UnaryKind.NEG, t.value()), "neg", span);
            case Val.Poison p -> p;
            default -> {
                f.report(span, "cannot negate " + v.describe(), null);
                yield new Val.Poison();
            }
        };
    }

    static Val binary(Frontend f, Binary b, Val left, Val right) {
        if (left instanceof Val.Poison || right instanceof Val.Poison) return new Val.Poison();
        if (left instanceof Val.Int l && right instanceof Val.Int r) {
            return switch (b.op()) {
                case ADD -> new Val.Int(l.value() + r.value());
                case SUB -> new Val.Int(l.value() - r.value());
                case MUL -> new Val.Int(l.value() * r.value());
                case DIV -> {
                    if (r.value() == 0) {
                        f.report(b.opSpan(), "integer division by zero", null);
                        yield new Val.Poison();
                    }
                    yield new Val.Int(Math.floorDiv(l.value(), r.value()));
                }
            };
        }
        Double ln = number(left);
        Double rn = number(right);
        if (ln != null && rn != null) {
            return new Val.Real(switch (b.op()) {
                case ADD -> ln + rn;
                case SUB -> ln - rn;
                case MUL -> ln * rn;
                case DIV -> ln / rn;
            });
        }
        Value a = tensorOrConstant(f, left);
        Value c = tensorOrConstant(f, right);
        if (a == null || c == null) {
            f.report(b.opSpan(), "cannot apply `" + symbol(b) + "` to " + left.describe() + " and " + right.describe(), null);
            return new Val.Poison();
        }
        Op.BinaryKind kind = switch (b.op()) {
            case ADD -> Op.BinaryKind.ADD;
            case SUB -> Op.BinaryKind.SUB;
            case MUL -> Op.BinaryKind.MUL;
            case DIV -> Op.BinaryKind.DIV;
        };
        return f.add(new Op.Binary(kind, a, c), kind.mnemonic(), b.opSpan(),
                "the shapes are " + a.type() + " and " + c.type() + "; trailing dimensions must be equal or 1");
    }

    private static String symbol(Binary b) {
        return switch (b.op()) {
            case ADD -> "+";
            case SUB -> "-";
            case MUL -> "*";
            case DIV -> "/";
        };
    }

    private static Double number(Val v) {
        return switch (v) {
            case Val.Int i -> (double) i.value();
            case Val.Real r -> r.value();
            default -> null;
        };
    }

    private static Value tensorOrConstant(Frontend f, Val v) {
        if (v instanceof Val.Tensor t) return t.value();
        Double n = number(v);
        return n == null ? null : f.graph().add(new Op.Constant(n.floatValue()), "c");
    }
}

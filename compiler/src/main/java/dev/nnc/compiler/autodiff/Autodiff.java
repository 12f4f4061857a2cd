package dev.nnc.compiler.autodiff;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Op.BinaryKind;
import dev.nnc.compiler.ir.Op.UnaryKind;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation over the Graph IR. After this pass the graph also computes, for every weight
 * {@code w}, the value {@code d loss / d w}: one gradient rule per primitive op (the table in {@link #rule}),
 * and one driver that walks the nodes in reverse topological order and sums the contributions each value
 * receives. Only values on a path from a weight to the loss are differentiated.
 */
public final class Autodiff {

    /** The differentiated graph and the gradient of each weight (a value of the weight's type). */
    public record Result(Graph graph, Map<Param, Value> gradients) {}

    private final GraphBuilder b;

    private Autodiff(GraphBuilder b) {
        this.b = b;
    }

    /** Adds the backward graph of {@code loss} (an f32 scalar of {@code g}) with respect to every weight. */
    public static Result differentiate(Graph g, Value loss) {
        return differentiate(g, loss, Set.of());
    }

    /**
     * Like {@link #differentiate(Graph, Value)}, treating {@code constants} as inputs: no gradient flows through
     * them (e.g. a discriminator's weights after its update, when the generator's step reads them).
     */
    public static Result differentiate(Graph g, Value loss, Set<Value> constants) {
        if (loss.shape().rank() != 0) throw new IllegalArgumentException("the loss must be a scalar, got " + loss.type());
        GraphBuilder b = GraphBuilder.from(g);
        return new Autodiff(b).run(g, loss, constants);
    }

    private Result run(Graph g, Value loss, Set<Value> constants) {
        Set<Value> needed = dependsOnWeights(g, constants);
        Map<Value, Value> grads = new HashMap<>();
        grads.put(loss, constant(1));
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            Value gy = grads.get(n.out());
            if (gy == null || !needed.contains(n.out())) continue;
            List<Value> operands = n.op().operands();
            List<Value> contributions = rule(n.op(), n.out(), gy);
            for (int k = 0; k < operands.size(); k++) {
                Value x = operands.get(k);
                Value dx = contributions.get(k);
                if (dx == null || !needed.contains(x)) continue;
                Value shaped = unbroadcast(dx, x.shape());
                grads.merge(x, shaped, (a, c) -> add(BinaryKind.ADD, a, c));
            }
        }
        Map<Param, Value> gradients = new LinkedHashMap<>();
        for (Param p : g.trainable()) {
            Value gp = grads.get(p.value());
            gradients.put(p, gp != null ? gp : add(new Op.Broadcast(constant(0), p.value().shape()), "zero_grad"));
        }
        return new Result(b.build(), gradients);
    }

    /** Values that depend on a weight other than through {@code constants}: only they need gradients. */
    private static Set<Value> dependsOnWeights(Graph g, Set<Value> constants) {
        Set<Value> needed = new HashSet<>();
        for (Param p : g.trainable()) needed.add(p.value());
        for (Node n : g.nodes()) {
            if (constants.contains(n.out())) continue;
            for (Value v : n.op().operands()) {
                if (needed.contains(v)) {
                    needed.add(n.out());
                    break;
                }
            }
        }
        return needed;
    }

    /**
     * The gradient rule table: given {@code y = op(x…)} and {@code gy = d loss / d y}, the contribution to
     * {@code d loss / d x} for each operand, in operand order (null where an operand has no gradient).
     * Contributions may have the broadcast shape of {@code y}; the driver sums them down to each operand's shape.
     */
    private List<Value> rule(Op op, Value y, Value gy) {
        return switch (op) {
            case Op.Unary u -> {
                Value x = u.x();
                yield one(switch (u.kind()) {
                    case NEG -> unary(UnaryKind.NEG, gy);                                        // −x → −g
                    case RELU -> mul(gy, unary(UnaryKind.STEP, y));                              // g·[relu(x) > 0]: reads the output, so x may die
                    case SIGMOID -> mul(gy, mul(y, sub(constant(1), y)));                        // g·y·(1 − y)
                    case TANH -> mul(gy, sub(constant(1), mul(y, y)));                           // g·(1 − y²)
                    case GELU -> mul(gy, unary(UnaryKind.GELU_GRAD, x));                         // g·(Φ(x) + x·φ(x))
                    case EXP -> mul(gy, y);                                                      // g·eˣ
                    case LOG -> div(gy, x);                                                      // g / x
                    case SQRT -> div(gy, mul(constant(2), y));                                   // g / (2√x)
                    case ABS -> mul(gy, unary(UnaryKind.SIGN, x));                               // g·sign(x)
                    case SOFTPLUS -> mul(gy, unary(UnaryKind.SIGMOID, x));                       // g·σ(x)
                    case STEP, SIGN -> null;                                                     // piecewise constant
                    case GELU_GRAD -> throw unsupported(op);
                });
            }
            case Op.Binary bin -> {
                Value a = bin.a();
                Value c = bin.b();
                yield switch (bin.kind()) {
                    case ADD -> List.of(gy, gy);                                                 // (g, g)
                    case SUB -> List.of(gy, unary(UnaryKind.NEG, gy));                           // (g, −g)
                    case MUL -> List.of(mul(gy, c), mul(gy, a));                                 // (g·b, g·a)
                    case DIV -> List.of(div(gy, c), unary(UnaryKind.NEG, div(mul(gy, a), mul(c, c)))); // (g/b, −g·a/b²)
                    case MAX -> List.of(mul(gy, winnerShare(a, c)), mul(gy, winnerShare(c, a)));        // ties split the gradient
                    case MIN -> List.of(mul(gy, winnerShare(c, a)), mul(gy, winnerShare(a, c)));
                    case GE, LT -> both(null, null);                                             // piecewise constant
                };
            }
            case Op.MatMul m -> {
                // C = op(A)·op(B): dA = g·op(B)ᵀ (transposed back if A was), dB = op(A)ᵀ·g (likewise)
                Value da = m.transA() ? add(new Op.MatMul(m.b(), gy, m.transB(), true), "grad")
                        : add(new Op.MatMul(gy, m.b(), false, !m.transB()), "grad");
                Value db = m.transB() ? add(new Op.MatMul(gy, m.a(), true, m.transA()), "grad")
                        : add(new Op.MatMul(m.a(), gy, !m.transA(), false), "grad");
                yield List.of(da, db);
            }
            case Op.Conv2d c -> List.of(
                    add(new Op.Conv2dInputGrad(gy, c.weight(), c.x().shape(), c.strideH(), c.strideW(), c.padH(), c.padW()), "grad"),
                    add(new Op.Conv2dWeightGrad(c.x(), gy, c.weight().shape(), c.strideH(), c.strideW(), c.padH(), c.padW()), "grad"));
            case Op.Pool2d p -> one(add(new Op.Pool2dGrad(p.kind(), p.x(), gy, p.kernelH(), p.kernelW(), p.strideH(), p.strideW(),
                    p.padH(), p.padW()), "grad"));
            case Op.Reduce r -> one(switch (r.kind()) {
                case SUM -> add(new Op.Broadcast(gy, r.x().shape()), "grad");                    // g repeated along the axis
                case MAX -> {                                                                    // g shared by the maxima
                    Value atMax = add(BinaryKind.GE, r.x(), y);
                    yield mul(gy, div(atMax, add(new Op.Reduce(Op.ReduceKind.SUM, atMax, r.axis()), "grad")));
                }
            });
            case Op.Reshape r -> one(add(new Op.Reshape(gy, r.x().shape()), "grad"));           // g in x's shape
            case Op.Detach d -> one(null);                                                 // no gradient flows through
            case Op.Broadcast br -> one(gy);                                                     // the driver sums it back
            case Op.Constant c -> List.of();
            case Op.SizeOf s -> List.of();
            case Op.CausalMask m -> List.of();
            case Op.OneHot o -> one(null);                                                       // labels are integers
            case Op.RandomUniform r -> one(null);                                                // noise has no gradient
            case Op.Transpose t -> {                                                             // g transposed back
                Integer[] inverse = new Integer[t.perm().size()];
                for (int d = 0; d < inverse.length; d++) inverse[t.perm().get(d)] = d;
                yield one(add(new Op.Transpose(gy, List.of(inverse)), "grad"));
            }
            case Op.Slice sl -> one(padAlong(gy, sl.x().shape(), sl.axis(), sl.start()));      // g placed back, zeros around it
            case Op.Concat c -> {                                                                // each input's part of g
                List<Value> parts = new ArrayList<>();
                long offset = 0;
                for (Value x : c.xs()) {
                    long size = x.shape().size(c.axis());
                    parts.add(add(new Op.Slice(gy, c.axis(), offset, offset + size), "grad"));
                    offset += size;
                }
                yield parts;
            }
            case Op.Recurrent r when !r.cells() -> {                                             // backpropagation through time
                Value cells = r.kind() == Op.RecurrentKind.LSTM
                        ? add(new Op.Recurrent(r.kind(), r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh(), true), "cells") : null;
                Value dx = add(new Op.RecurrentGrad(r.kind(), false, r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh(), y, cells, gy), "grad");
                Value packed = add(new Op.RecurrentGrad(r.kind(), true, r.x(), r.wIh(), r.wHh(), r.bIh(), r.bHh(), y, cells, gy), "grad");
                List<Value> grads = new ArrayList<>(List.of(dx));
                long offset = 0;
                for (Value w : List.of(r.wIh(), r.wHh(), r.bIh(), r.bHh())) {
                    long size = w.shape().numel(1);
                    grads.add(add(new Op.Reshape(add(new Op.Slice(packed, 0, offset, offset + size), "grad"), w.shape()), "grad"));
                    offset += size;
                }
                yield grads;
            }
            case Op.Recurrent r -> throw unsupported(op);
            case Op.RecurrentGrad g -> throw unsupported(op);
            case Op.Conv2dInputGrad c -> List.of(                                                // the transposed convolution
                    add(new Op.Conv2d(gy, c.weight(), c.strideH(), c.strideW(), c.padH(), c.padW()), "grad"),
                    add(new Op.Conv2dWeightGrad(gy, c.dy(), c.weight().shape(), c.strideH(), c.strideW(), c.padH(), c.padW()), "grad"));
            case Op.Conv2dWeightGrad c -> throw unsupported(op);
            case Op.Pool2dGrad p -> throw unsupported(op);
        };
    }

    private static IllegalArgumentException unsupported(Op op) {
        return new IllegalArgumentException("second derivatives are not supported (" + op.mnemonic() + " on the path to the loss)");
    }

    private static List<Value> one(Value v) {
        List<Value> l = new ArrayList<>(1);
        l.add(v);
        return l;
    }

    private static List<Value> both(Value a, Value c) {
        List<Value> l = new ArrayList<>(2);
        l.add(a);
        l.add(c);
        return l;
    }

    /** {@code g} embedded in zeros of shape {@code full}, starting at {@code start} along {@code axis}. */
    private Value padAlong(Value g, Shape full, int axis, long start) {
        List<Value> pieces = new ArrayList<>();
        long end = start + g.shape().size(axis);
        if (start > 0) pieces.add(add(new Op.Broadcast(constant(0), full.withDim(axis, Dim.of(start))), "grad"));
        pieces.add(g);
        if (end < full.size(axis)) pieces.add(add(new Op.Broadcast(constant(0), full.withDim(axis, Dim.of(full.size(axis) - end))), "grad"));
        return pieces.size() == 1 ? g : add(new Op.Concat(pieces, axis), "grad");
    }

    /** Sums {@code g} over the axes along which an operand of shape {@code target} was broadcast. */
    private Value unbroadcast(Value g, Shape target) {
        Shape s = g.shape();
        if (s.equals(target)) return g;
        int extra = s.rank() - target.rank();
        Value summed = g;
        for (int axis = 0; axis < s.rank(); axis++) {
            Dim d = s.dim(axis);
            boolean broadcast = axis < extra || (target.dim(axis - extra).isOne() && !d.isOne());
            if (broadcast) summed = add(new Op.Reduce(Op.ReduceKind.SUM, summed, axis), "grad");
        }
        return summed.shape().equals(target) ? summed : add(new Op.Reshape(summed, target), "grad");
    }

    // ---- node construction ---------------------------------------------------------------------------

    /**
     * The share of max(a, b)'s gradient that goes to {@code a}: 1 where a &gt; b, 0 where a &lt; b, ½ at a tie (and
     * where either is NaN), i.e. (1 + [a ≥ b] − [b ≥ a]) / 2. The two shares of a pair always sum to 1.
     */
    private Value winnerShare(Value a, Value b) {
        Value lead = sub(add(BinaryKind.GE, a, b), add(BinaryKind.GE, b, a));
        return mul(constant(0.5f), add(BinaryKind.ADD, constant(1), lead));
    }

    private Value constant(float c) {
        return b.add(new Op.Constant(c), "c");
    }

    private Value add(Op op, String hint) {
        return b.add(op, hint);
    }

    private Value add(BinaryKind kind, Value a, Value c) {
        return b.add(new Op.Binary(kind, a, c), "grad");
    }

    private Value unary(UnaryKind kind, Value x) {
        return b.add(new Op.Unary(kind, x), "grad");
    }

    private Value mul(Value a, Value c) {
        return add(BinaryKind.MUL, a, c);
    }

    private Value div(Value a, Value c) {
        return add(BinaryKind.DIV, a, c);
    }

    private Value sub(Value a, Value c) {
        return add(BinaryKind.SUB, a, c);
    }
}

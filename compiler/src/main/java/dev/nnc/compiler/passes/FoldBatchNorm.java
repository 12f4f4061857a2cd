package dev.nnc.compiler.passes;

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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * After this pass no inference batchnorm that directly follows a convolution or a dense layer normalizes the
 * activations: the layer runs with weights {@code W·s} (per output channel) and bias {@code (b − mean)·s + β}, with
 * {@code s = γ/√(var + eps)}, so one pass over the weights replaces a pass over every activation. The folded weights
 * are computed in the graph from the parameters, so weights loaded later fold the same way. A batchnorm is the
 * frontend's inference form {@code (x − mean)/√(var + eps)·γ + β} over the running statistics, per channel (axis 1);
 * it is folded only when {@code x} is read by nothing else. Inference only (training normalizes with batch
 * statistics); results equal the unfolded graph's up to float rounding.
 */
public final class FoldBatchNorm {

    private FoldBatchNorm() {}

    public static Graph run(Graph g) {
        Map<Value, Node> defs = g.definitions();
        Map<Value, Integer> uses = g.useCounts();
        Set<Value> params = new HashSet<>();
        for (Param p : g.params()) params.add(p.value());
        GraphBuilder b = new GraphBuilder(g.name(), g.maxBatch());
        Map<Value, Value> map = new HashMap<>();
        for (Value v : g.inputs()) map.put(v, b.input(v.name(), v.type()));
        for (Param p : g.params()) map.put(p.value(), b.param(p.name(), p.value().type(), p.init(), p.role()));
        boolean folded = false;
        for (Node n : g.nodes()) {
            Match m = match(n, defs, uses, params);
            if (m != null) {
                map.put(n.out(), m.emit(b, map, n.out().name()));
                folded = true;
                continue;
            }
            List<Value> operands = new ArrayList<>();
            for (Value x : n.op().operands()) operands.add(map.get(x));
            map.put(n.out(), b.add(Op.withOperands(n.op(), operands), n.out().name()));
        }
        if (!folded) return g;
        g.outputs().forEach((name, v) -> b.output(name, map.get(v)));
        g.updates().forEach((param, v) -> b.update(map.get(param), map.get(v)));
        return Simplify.removeDeadCode(b.build());   // the unfolded layer and normalization are dead now
    }

    /** A batchnorm over the output of {@code layer} (a convolution or a {@code x·Wᵀ} product) with an optional bias. */
    private record Match(Op layer, Value weight, Value bias, Value gamma, Value beta, Value mean, Value variance, Value eps) {

        /** The folded layer: the same op over scaled weights, plus the folded bias, per channel. */
        Value emit(GraphBuilder b, Map<Value, Value> map, String name) {
            long channels = gamma.shape().size(0);
            Value scale = add(b, name, BinaryKind.DIV, map.get(gamma), b.add(new Op.Unary(UnaryKind.SQRT,
                    add(b, name, BinaryKind.ADD, map.get(variance), map.get(eps))), name + ".std"));
            Value shift = add(b, name, BinaryKind.SUB, map.get(beta), add(b, name, BinaryKind.MUL, map.get(mean), scale));
            if (bias != null) shift = add(b, name, BinaryKind.ADD, shift, add(b, name, BinaryKind.MUL, map.get(bias), scale));
            return switch (layer) {
                case Op.Conv2d c -> {
                    Value w = add(b, name, BinaryKind.MUL, map.get(weight), b.add(new Op.Reshape(scale, Shape.of(channels, 1, 1, 1)), name + ".scale"));
                    Value y = b.add(new Op.Conv2d(map.get(c.x()), w, c.strideH(), c.strideW(), c.padH(), c.padW()), name + ".conv");
                    yield add(b, name, BinaryKind.ADD, y, b.add(new Op.Reshape(shift, Shape.of(channels, 1, 1)), name + ".shift"));
                }
                case Op.MatMul m -> {
                    Value w = add(b, name, BinaryKind.MUL, map.get(weight), b.add(new Op.Reshape(scale, Shape.of(channels, 1)), name + ".scale"));
                    yield add(b, name, BinaryKind.ADD, b.add(new Op.MatMul(map.get(m.a()), w, false, true), name + ".matmul"), shift);
                }
                default -> throw new IllegalStateException("not a foldable layer: " + layer);
            };
        }

        private static Value add(GraphBuilder b, String name, BinaryKind kind, Value x, Value y) {
            return b.add(new Op.Binary(kind, x, y), name + ".fold");
        }
    }

    /** {@code n} as the last node of a foldable batchnorm, or null. */
    private static Match match(Node n, Map<Value, Node> defs, Map<Value, Integer> uses, Set<Value> params) {
        // n = scaled + β;  scaled = normalized · γ;  normalized = (x − mean) / √(var + eps)
        if (!(n.op() instanceof Op.Binary(BinaryKind k1, Value scaled, Value betaView)) || k1 != BinaryKind.ADD) return null;
        if (!(op(defs, scaled) instanceof Op.Binary(BinaryKind k2, Value normalized, Value gammaView)) || k2 != BinaryKind.MUL) return null;
        if (!(op(defs, normalized) instanceof Op.Binary(BinaryKind k3, Value centered, Value std)) || k3 != BinaryKind.DIV) return null;
        if (!(op(defs, centered) instanceof Op.Binary(BinaryKind k4, Value x, Value meanView)) || k4 != BinaryKind.SUB) return null;
        if (!(op(defs, std) instanceof Op.Unary(UnaryKind k5, Value shifted)) || k5 != UnaryKind.SQRT) return null;
        if (!(op(defs, shifted) instanceof Op.Binary(BinaryKind k6, Value varView, Value eps)) || k6 != BinaryKind.ADD) return null;
        if (!(op(defs, eps) instanceof Op.Constant)) return null;
        Value beta = channelParam(viewed(betaView, defs), params);
        Value gamma = channelParam(viewed(gammaView, defs), params);
        Value mean = channelParam(viewed(meanView, defs), params);
        Value variance = channelParam(viewed(varView, defs), params);
        if (beta == null || gamma == null || mean == null || variance == null) return null;
        for (Value once : List.of(x, centered, normalized, scaled, std, shifted)) {
            if (uses.getOrDefault(once, 0) != 1) return null;     // something else reads an intermediate: keep it all
        }
        long channels = gamma.shape().size(0);
        if (x.shape().rank() < 2 || x.shape().size(1) != channels) return null;
        // x = layer(…) or layer(…) + bias, with the layer's weight a parameter
        Value bias = null;
        Value linear = x;
        if (op(defs, x) instanceof Op.Binary(BinaryKind k7, Value a, Value biasView) && k7 == BinaryKind.ADD) {
            bias = channelParam(viewed(biasView, defs), params);
            if (bias == null || uses.getOrDefault(a, 0) != 1) return null;
            linear = a;
        }
        Op layer = op(defs, linear);
        Value weight = switch (layer) {
            case Op.Conv2d c when c.weight().shape().size(0) == channels && x.shape().rank() == 4 -> c.weight();
            case Op.MatMul m when !m.transA() && m.transB() && x.shape().rank() == 2 -> m.b();
            case null, default -> null;
        };
        return weight != null && params.contains(weight) ? new Match(layer, weight, bias, gamma, beta, mean, variance, eps) : null;
    }

    /** The value a per-channel view reads: through a reshape (to [C, 1, 1] for images), or the value itself. */
    private static Value viewed(Value view, Map<Value, Node> defs) {
        return op(defs, view) instanceof Op.Reshape(Value x, Shape s) ? x : view;
    }

    /** {@code v} if it is a per-channel parameter [C], else null. */
    private static Value channelParam(Value v, Set<Value> params) {
        return params.contains(v) && v.shape().rank() == 1 ? v : null;
    }

    private static Op op(Map<Value, Node> defs, Value v) {
        Node n = defs.get(v);
        return n == null ? null : n.op();
    }
}

package dev.nnc.compiler.passes;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Node;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Op.BinaryKind;
import dev.nnc.compiler.ir.Op.UnaryKind;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * After this pass no node is dead (every node feeds an output or an update), identical nodes are one (CSE, by
 * the builder's deduplication), and algebraic identities that would only copy a value are gone:
 * {@code x·1}, {@code 1·x}, {@code x/1}, {@code x+0}, {@code 0+x}, {@code x−0}, {@code −(−x)}, and reshapes or
 * broadcasts to the shape a value already has. Results are bit-identical to the input graph.
 */
public final class Simplify {

    private Simplify() {}

    public static Graph run(Graph g) {
        return run(run(g, true), false);   // a rewrite can leave what fed it dead (−(−x) → x leaves −x)
    }

    /** Only removes dead nodes (what the unfused {@code -O0} pipeline does): every remaining node is computed. */
    public static Graph removeDeadCode(Graph g) {
        return run(g, false);
    }

    private static Graph run(Graph g, boolean rewrite) {
        Set<Value> live = live(g);
        GraphBuilder b = new GraphBuilder(g.name(), g.maxBatch());
        Map<Value, Value> map = new HashMap<>();
        for (Value v : g.inputs()) map.put(v, b.input(v.name(), v.type()));
        for (Param p : g.params()) map.put(p.value(), b.param(p.name(), p.value().type(), p.init(), p.role()));
        Map<Value, Op> defined = new HashMap<>();
        for (Node n : g.nodes()) {
            if (!live.contains(n.out())) continue;
            List<Value> operands = new ArrayList<>();
            for (Value x : n.op().operands()) operands.add(map.get(x));
            Op op = Op.withOperands(n.op(), operands);
            Value same = rewrite ? identity(op, defined) : null;
            Value out = same != null ? same : b.add(op, n.out().name());
            defined.putIfAbsent(out, op);
            map.put(n.out(), out);
        }
        g.outputs().forEach((name, v) -> b.output(name, map.get(v)));
        g.updates().forEach((param, v) -> b.update(map.get(param), map.get(v)));
        return b.build();
    }

    /** The operand {@code op} merely passes through, or null. */
    private static Value identity(Op op, Map<Value, Op> constants) {
        return switch (op) {
            case Op.Unary(UnaryKind kind, Value x) when kind == UnaryKind.NEG && constants.get(x) instanceof Op.Unary(UnaryKind inner, Value y)
                    && inner == UnaryKind.NEG -> y;                                                                                          // −(−x) → x
            case Op.Binary(BinaryKind kind, Value a, Value c) when kind == BinaryKind.MUL && is(constants, c, 1) && sameType(a, op) -> a;  // x·1 → x
            case Op.Binary(BinaryKind kind, Value a, Value c) when kind == BinaryKind.MUL && is(constants, a, 1) && sameType(c, op) -> c;  // 1·x → x
            case Op.Binary(BinaryKind kind, Value a, Value c) when kind == BinaryKind.DIV && is(constants, c, 1) && sameType(a, op) -> a;  // x/1 → x
            case Op.Binary(BinaryKind kind, Value a, Value c) when kind == BinaryKind.ADD && is(constants, c, 0) && sameType(a, op) -> a;  // x+0 → x
            case Op.Binary(BinaryKind kind, Value a, Value c) when kind == BinaryKind.ADD && is(constants, a, 0) && sameType(c, op) -> c;  // 0+x → x
            case Op.Binary(BinaryKind kind, Value a, Value c) when kind == BinaryKind.SUB && is(constants, c, 0) && sameType(a, op) -> a;  // x−0 → x
            case Op.Detach d -> d.x();                                                                                                    // only autodiff needs it
            case Op.Reshape r when r.shape().equals(r.x().shape()) -> r.x();                                                              // reshape to own shape
            case Op.Broadcast br when br.shape().equals(br.x().shape()) -> br.x();                                                        // broadcast to own shape
            default -> null;
        };
    }

    private static boolean is(Map<Value, Op> defined, Value v, float c) {
        return defined.get(v) instanceof Op.Constant(float k) && k == c;
    }

    private static boolean sameType(Value v, Op op) {
        return v.type().equals(dev.nnc.compiler.ir.TypeInference.infer(op));
    }

    /** Values that feed an output or an update, directly or not. */
    private static Set<Value> live(Graph g) {
        Set<Value> live = new HashSet<>(g.outputs().values());
        live.addAll(g.updates().values());
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (live.contains(n.out())) live.addAll(n.op().operands());
        }
        return live;
    }
}

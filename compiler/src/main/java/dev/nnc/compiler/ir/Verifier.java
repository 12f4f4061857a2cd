package dev.nnc.compiler.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the invariants every pass relies on: names are unique, every operand is defined before it is used,
 * every node's type is what its operands give, updates replace parameters with values of their type, and inputs
 * and outputs have the batch dimension only as a plain leading {@code B} (the runtime's contract).
 */
public final class Verifier {

    private Verifier() {}

    /** All violations, empty if the graph is well-formed. */
    public static List<String> check(Graph g) {
        List<String> problems = new ArrayList<>();
        Set<Value> defined = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (Value v : g.inputs()) {
            define(v, defined, names, problems);
            checkInterface("input", v, problems);
        }
        for (Param p : g.params()) define(p.value(), defined, names, problems);
        for (Node n : g.nodes()) {
            for (Value operand : n.op().operands()) {
                if (!defined.contains(operand)) problems.add(IrPrinter.node(n) + ": operand " + operand + " is not defined before use");
            }
            try {
                TensorType inferred = TypeInference.infer(n.op());
                if (!inferred.equals(n.out().type())) {
                    problems.add(IrPrinter.node(n) + ": type should be " + inferred);
                }
            } catch (TypeError e) {
                problems.add(IrPrinter.node(n) + ": " + e.getMessage());
            }
            define(n.out(), defined, names, problems);
        }
        if (g.outputs().isEmpty()) problems.add("graph " + g.name() + " has no outputs");
        Set<Value> params = new HashSet<>();
        for (Param p : g.params()) params.add(p.value());
        for (Map.Entry<Value, Value> e : g.updates().entrySet()) {
            if (!params.contains(e.getKey())) problems.add("update of " + e.getKey() + ", which is not a parameter");
            if (!defined.contains(e.getValue())) problems.add("update of " + e.getKey() + " refers to undefined " + e.getValue());
            if (!e.getKey().type().equals(e.getValue().type())) {
                problems.add("update of " + e.getKey() + ": " + e.getKey().type() + " with " + e.getValue().type());
            }
        }
        for (Map.Entry<String, Value> e : g.outputs().entrySet()) {
            if (!defined.contains(e.getValue())) problems.add("output " + e.getKey() + " refers to undefined " + e.getValue());
            checkInterface("output " + e.getKey() + " =", e.getValue(), problems);
        }
        return problems;
    }

    /** Throws {@link IllegalStateException} listing every violation. */
    public static void verify(Graph g) {
        List<String> problems = check(g);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("invalid graph " + g.name() + ":\n  " + String.join("\n  ", problems));
        }
    }

    private static void define(Value v, Set<Value> defined, Set<String> names, List<String> problems) {
        if (!names.add(v.name())) problems.add(v + " is defined twice");
        defined.add(v);
    }

    private static void checkInterface(String what, Value v, List<String> problems) {
        Shape s = v.shape();
        if (s.hasBatch() && s.dim(0).factor() != 1) problems.add(what + " " + v + " must have B itself as its leading dimension, got " + s);
    }
}

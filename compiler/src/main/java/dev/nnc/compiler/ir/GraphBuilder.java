package dev.nnc.compiler.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link Graph} node by node: infers each result type, gives every value a unique readable name, and
 * deduplicates structurally equal ops (the same op on the same operands yields the same value).
 * Not thread-safe; one builder per graph.
 */
public final class GraphBuilder {
    private final String name;
    private final int maxBatch;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Param> params = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Value> outputs = new LinkedHashMap<>();
    private final Map<Value, Value> updates = new LinkedHashMap<>();
    private final Map<Op, Value> existing = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Integer> nextSuffix = new HashMap<>();

    public GraphBuilder(String name, int maxBatch) {
        this.name = name;
        this.maxBatch = maxBatch;
    }

    /** The largest batch the graph is planned for. */
    public int maxBatch() {
        return maxBatch;
    }

    /** The input called {@code inputName}, if declared. */
    public java.util.Optional<Value> findInput(String inputName) {
        return inputs.stream().filter(v -> v.name().equals(inputName)).findFirst();
    }

    /** The parameter called {@code paramName}, if declared. */
    public java.util.Optional<Param> findParam(String paramName) {
        return params.stream().filter(p -> p.name().equals(paramName)).findFirst();
    }

    public Value input(String inputName, TensorType type) {
        Value v = new Value(claim(inputName, true), type);
        inputs.add(v);
        return v;
    }

    public Value param(String paramName, TensorType type, Init init) {
        return param(paramName, type, init, Param.Role.WEIGHT);
    }

    public Value param(String paramName, TensorType type, Init init, Param.Role role) {
        Value v = new Value(claim(paramName, true), type);
        params.add(new Param(v, init, role));
        return v;
    }

    /** Starts from an existing graph: its inputs, parameters, nodes, outputs and updates. */
    public static GraphBuilder from(Graph g) {
        GraphBuilder b = new GraphBuilder(g.name(), g.maxBatch());
        for (Value v : g.inputs()) b.input(v.name(), v.type());
        for (Param p : g.params()) b.param(p.name(), p.value().type(), p.init(), p.role());
        for (Node n : g.nodes()) {
            b.names.add(n.out().name());
            b.nodes.add(n);
            b.existing.putIfAbsent(n.op(), n.out());
        }
        b.outputs.putAll(g.outputs());
        b.updates.putAll(g.updates());
        return b;
    }

    /** After a step, parameter {@code param} takes the value {@code next}. */
    public void update(Value param, Value next) {
        if (!param.type().equals(next.type())) throw new IllegalArgumentException("update of " + param + " with " + next.type());
        if (updates.putIfAbsent(param, next) != null) throw new IllegalArgumentException("second update of " + param);
    }

    /** Adds {@code op} (or finds the identical existing one) and returns its value; throws {@link TypeError}. */
    public Value add(Op op, String nameHint) {
        Value known = existing.get(op);
        if (known != null) return known;
        TensorType type = TypeInference.infer(op);
        Value v = new Value(claim(nameHint, false), type);
        nodes.add(new Node(v, op));
        existing.put(op, v);
        return v;
    }

    /**
     * Gives {@code v} the name {@code preferred} (or {@code preferred.1}, …) if it is the value of the most
     * recently added node and that node is number {@code firstNew} or later, so nothing can refer to it yet.
     * Values then read as the DSL's let-bindings. Any other value is returned unchanged.
     */
    public Value rename(Value v, String preferred, int firstNew) {
        if (nodes.size() <= firstNew || !nodes.getLast().out().equals(v) || v.name().equals(preferred)) return v;
        Node last = nodes.removeLast();
        names.remove(v.name());
        Value renamed = new Value(claim(preferred, false), v.type());
        nodes.add(new Node(renamed, last.op()));
        existing.put(last.op(), renamed);
        return renamed;
    }

    /** The op that defines {@code v}, if a node does (not for inputs and parameters). */
    public java.util.Optional<Op> definition(Value v) {
        for (int i = nodes.size() - 1; i >= 0; i--) if (nodes.get(i).out().equals(v)) return java.util.Optional.of(nodes.get(i).op());
        return java.util.Optional.empty();
    }

    /** Whether some value already has the name {@code name}. */
    public boolean isNameTaken(String name) {
        return names.contains(name);
    }

    /** How many nodes have been added so far. */
    public int nodeCount() {
        return nodes.size();
    }

    public void output(String outputName, Value v) {
        if (outputs.putIfAbsent(outputName, v) != null) throw new IllegalArgumentException("duplicate output " + outputName);
    }

    public Graph build() {
        return new Graph(name, maxBatch, inputs, params, nodes, outputs, updates);
    }

    /** Reserves {@code hint} as a value name, or {@code hint.1}, {@code hint.2}, … if taken. */
    private String claim(String hint, boolean exact) {
        if (names.add(hint)) return hint;
        if (exact) throw new IllegalArgumentException("duplicate name %" + hint);
        int n = nextSuffix.getOrDefault(hint, 1);
        while (!names.add(hint + "." + n)) n++;
        nextSuffix.put(hint, n + 1);
        return hint + "." + n;
    }
}

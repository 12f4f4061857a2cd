package dev.nnc.compiler.ir;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model as an immutable dataflow graph: named inputs, parameters, nodes in topological order, and named
 * outputs. The batch dimension {@code B} of every shape ranges over 1..{@code maxBatch}.
 */
public record Graph(String name, int maxBatch, List<Value> inputs, List<Param> params, List<Node> nodes,
                    Map<String, Value> outputs) {

    public Graph {
        Objects.requireNonNull(name);
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be ≥ 1, got " + maxBatch);
        inputs = List.copyOf(inputs);
        params = List.copyOf(params);
        nodes = List.copyOf(nodes);
        outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** The node defining each node-defined value. */
    public Map<Value, Node> definitions() {
        Map<Value, Node> defs = new HashMap<>();
        for (Node n : nodes) defs.put(n.out(), n);
        return defs;
    }

    /** How many times each value is read by nodes or outputs. */
    public Map<Value, Integer> useCounts() {
        Map<Value, Integer> uses = new HashMap<>();
        for (Node n : nodes) for (Value v : n.op().operands()) uses.merge(v, 1, Integer::sum);
        for (Value v : outputs.values()) uses.merge(v, 1, Integer::sum);
        return uses;
    }
}

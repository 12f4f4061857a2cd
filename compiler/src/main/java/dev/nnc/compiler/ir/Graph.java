package dev.nnc.compiler.ir;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model as an immutable dataflow graph: named inputs, parameters, nodes in topological order, named outputs,
 * and — in a training graph — updates: the new value each parameter takes when a step completes. The batch
 * dimension {@code B} of every shape ranges over 1..{@code maxBatch}.
 */
public record Graph(String name, int maxBatch, List<Value> inputs, List<Param> params, List<Node> nodes,
                    Map<String, Value> outputs, Map<Value, Value> updates) {

    public Graph {
        Objects.requireNonNull(name);
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be ≥ 1, got " + maxBatch);
        inputs = List.copyOf(inputs);
        params = List.copyOf(params);
        nodes = List.copyOf(nodes);
        outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        updates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(updates));
    }

    /** A graph without updates (an inference graph). */
    public Graph(String name, int maxBatch, List<Value> inputs, List<Param> params, List<Node> nodes, Map<String, Value> outputs) {
        this(name, maxBatch, inputs, params, nodes, outputs, Map.of());
    }

    /** What the model stores in {@code weights.safetensors}, in declaration order: weights and buffers, no optimizer slots. */
    public List<Param> weights() {
        return params.stream().filter(Param::isStored).toList();
    }

    /** The trainable weights, in declaration order. */
    public List<Param> trainable() {
        return params.stream().filter(Param::isWeight).toList();
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
        for (Value v : updates.values()) uses.merge(v, 1, Integer::sum);
        return uses;
    }
}

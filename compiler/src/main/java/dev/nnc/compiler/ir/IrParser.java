package dev.nnc.compiler.ir;

import dev.nnc.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the IR text form printed by {@link IrPrinter}. Every node's printed type is checked against the type
 * inferred from its operands, so a parsed graph is well-typed. Errors name the line.
 */
public final class IrParser {
    private static final String NAME = "[A-Za-z_][A-Za-z0-9_.]*";
    private static final Pattern HEADER = Pattern.compile("graph (" + NAME + ")\\(max_batch=(\\d+)\\) \\{");
    private static final Pattern INPUT = Pattern.compile("input %(" + NAME + "): (.+)");
    private static final Pattern PARAM = Pattern.compile("(param|buffer|slot) %(" + NAME + "): (.+) = (zeros|ones|uniform|normal)(?:\\((.+)\\))?");
    private static final Pattern NODE = Pattern.compile("%(" + NAME + "): (\\w+\\[[^\\]]*\\]) = (\\w+)\\(([^)]*)\\)(.*)");
    private static final Pattern OUTPUT = Pattern.compile("output (" + NAME + ") = %(" + NAME + ")");
    private static final Pattern UPDATE = Pattern.compile("update %(" + NAME + ") = %(" + NAME + ")");
    private static final Pattern TYPE = Pattern.compile("(\\w+)\\[([^\\]]*)\\]");

    private IrParser() {}

    /** Parses a graph; throws {@link IllegalArgumentException} naming the line on malformed or ill-typed text. */
    public static Graph parse(String text) {
        String[] lines = text.strip().split("\n");
        Matcher header = HEADER.matcher(lines[0].strip());
        if (!header.matches()) throw error(1, "expected `graph NAME(max_batch=N) {`");
        if (!lines[lines.length - 1].strip().equals("}")) throw error(lines.length, "expected `}` closing the graph");
        String name = header.group(1);
        int maxBatch = Integer.parseInt(header.group(2));
        List<Value> inputs = new ArrayList<>();
        List<Param> params = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        Map<String, Value> outputs = new LinkedHashMap<>();
        Map<Value, Value> updates = new LinkedHashMap<>();
        Map<String, Value> scope = new HashMap<>();
        for (int i = 1; i < lines.length - 1; i++) {
            String line = lines[i].strip();
            int lineNo = i + 1;
            if (line.isEmpty()) continue;
            try {
                Matcher m;
                if ((m = INPUT.matcher(line)).matches()) {
                    Value v = new Value(m.group(1), type(m.group(2)));
                    define(scope, v, lineNo);
                    inputs.add(v);
                } else if ((m = PARAM.matcher(line)).matches()) {
                    Value v = new Value(m.group(2), type(m.group(3)));
                    define(scope, v, lineNo);
                    Init.Kind kind = Init.Kind.valueOf(m.group(4).toUpperCase(Locale.ROOT));
                    Param.Role role = switch (m.group(1)) {
                        case "param" -> Param.Role.WEIGHT;
                        case "buffer" -> Param.Role.BUFFER;
                        default -> Param.Role.SLOT;
                    };
                    params.add(new Param(v, new Init(kind, m.group(5) == null ? 0 : Double.parseDouble(m.group(5))), role));
                } else if ((m = OUTPUT.matcher(line)).matches()) {
                    outputs.put(m.group(1), use(scope, m.group(2), lineNo));
                } else if ((m = UPDATE.matcher(line)).matches()) {
                    updates.put(use(scope, m.group(1), lineNo), use(scope, m.group(2), lineNo));
                } else if ((m = NODE.matcher(line)).matches()) {
                    List<Value> operands = new ArrayList<>();
                    for (String operand : m.group(4).split(",")) {
                        String o = operand.strip();
                        if (o.isEmpty()) continue;
                        if (!o.startsWith("%")) throw error(lineNo, "operand `" + o + "` must start with %");
                        operands.add(use(scope, o.substring(1), lineNo));
                    }
                    Op op = op(m.group(3), operands, attributes(m.group(5), lineNo), lineNo);
                    TensorType declared = type(m.group(2));
                    TensorType inferred = TypeInference.infer(op);
                    if (!declared.equals(inferred)) {
                        throw error(lineNo, "declared type " + declared + " but the operands give " + inferred);
                    }
                    Value v = new Value(m.group(1), declared);
                    define(scope, v, lineNo);
                    nodes.add(new Node(v, op));
                } else {
                    throw error(lineNo, "cannot read `" + line + "`");
                }
            } catch (TypeError | IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("line ")) throw e;
                throw error(lineNo, e.getMessage());
            }
        }
        return new Graph(name, maxBatch, inputs, params, nodes, outputs, updates);
    }

    /** Parses a type such as {@code f32[B, 784]} or {@code f32[3*B, 2]}. */
    public static TensorType type(String text) {
        Matcher m = TYPE.matcher(text.strip());
        if (!m.matches()) throw new IllegalArgumentException("expected a type like f32[B, 784], got `" + text + "`");
        DType dtype = switch (m.group(1)) {
            case "f32" -> DType.F32;
            case "i32" -> DType.I32;
            default -> throw new IllegalArgumentException("unknown dtype `" + m.group(1) + "`");
        };
        return new TensorType(dtype, shape(m.group(2)));
    }

    private static Shape shape(String dimsText) {
        List<Dim> dims = new ArrayList<>();
        if (dimsText.isBlank()) return new Shape(dims);
        for (String d : dimsText.split(",")) {
            String s = d.strip();
            if (s.equals("B")) {
                dims.add(Dim.batch(1));
            } else if (s.endsWith("*B")) {
                dims.add(Dim.batch(Long.parseLong(s.substring(0, s.length() - 2))));
            } else {
                dims.add(Dim.of(Long.parseLong(s)));
            }
        }
        return new Shape(dims);
    }

    private static Map<String, String> attributes(String text, int lineNo) {
        Map<String, String> attrs = new HashMap<>();
        String rest = text.strip();
        if (rest.isEmpty()) return attrs;
        // shape=[…] contains spaces, so take it as a whole first
        Matcher shape = Pattern.compile("shape=(\\[[^\\]]*\\])").matcher(rest);
        if (shape.find()) {
            attrs.put("shape", shape.group(1));
            rest = (rest.substring(0, shape.start()) + rest.substring(shape.end())).strip();
        }
        for (String kv : rest.isEmpty() ? new String[0] : rest.split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq < 1) throw error(lineNo, "expected key=value, got `" + kv + "`");
            attrs.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return attrs;
    }

    private static Op op(String mnemonic, List<Value> xs, Map<String, String> attrs, int lineNo) {
        for (Op.UnaryKind k : Op.UnaryKind.values()) if (k.mnemonic().equals(mnemonic)) return new Op.Unary(k, arity(xs, 1, lineNo).get(0));
        for (Op.BinaryKind k : Op.BinaryKind.values()) {
            if (k.mnemonic().equals(mnemonic)) {
                arity(xs, 2, lineNo);
                return new Op.Binary(k, xs.get(0), xs.get(1));
            }
        }
        for (Op.ReduceKind k : Op.ReduceKind.values()) {
            if (k.mnemonic().equals(mnemonic)) return new Op.Reduce(k, arity(xs, 1, lineNo).get(0), Integer.parseInt(attr(attrs, "axis", lineNo)));
        }
        for (Op.PoolKind k : Op.PoolKind.values()) {
            if ((k.mnemonic() + "_grad").equals(mnemonic)) {
                int[] kernel = pair(attr(attrs, "kernel", lineNo));
                int[] stride = pair(attr(attrs, "stride", lineNo));
                int[] pad = pair(attr(attrs, "pad", lineNo));
                arity(xs, 2, lineNo);
                return new Op.Pool2dGrad(k, xs.get(0), xs.get(1), kernel[0], kernel[1], stride[0], stride[1], pad[0], pad[1]);
            }
            if (k.mnemonic().equals(mnemonic)) {
                int[] kernel = pair(attr(attrs, "kernel", lineNo));
                int[] stride = pair(attr(attrs, "stride", lineNo));
                int[] pad = pair(attr(attrs, "pad", lineNo));
                return new Op.Pool2d(k, arity(xs, 1, lineNo).get(0), kernel[0], kernel[1], stride[0], stride[1], pad[0], pad[1]);
            }
        }
        return switch (mnemonic) {
            case "matmul" -> {
                arity(xs, 2, lineNo);
                yield new Op.MatMul(xs.get(0), xs.get(1), bool(attr(attrs, "transA", lineNo)), bool(attr(attrs, "transB", lineNo)));
            }
            case "conv2d" -> {
                arity(xs, 2, lineNo);
                int[] stride = pair(attr(attrs, "stride", lineNo));
                int[] pad = pair(attr(attrs, "pad", lineNo));
                yield new Op.Conv2d(xs.get(0), xs.get(1), stride[0], stride[1], pad[0], pad[1]);
            }
            case "reshape" -> new Op.Reshape(arity(xs, 1, lineNo).get(0), shapeAttr(attrs, lineNo));
            case "detach" -> new Op.Detach(arity(xs, 1, lineNo).get(0));
            case "const" -> {
                arity(xs, 0, lineNo);
                yield new Op.Constant(Float.parseFloat(attr(attrs, "value", lineNo)));
            }
            case "broadcast" -> new Op.Broadcast(arity(xs, 1, lineNo).get(0), shapeAttr(attrs, lineNo));
            case "size_of" -> {
                arity(xs, 0, lineNo);
                yield new Op.SizeOf(shape(attr(attrs, "dim", lineNo)).dim(0));
            }
            case "one_hot" -> new Op.OneHot(arity(xs, 1, lineNo).get(0), Integer.parseInt(attr(attrs, "classes", lineNo)));
            case "random_uniform" -> new Op.RandomUniform(arity(xs, 1, lineNo).get(0), shapeAttr(attrs, lineNo),
                    Integer.parseInt(attr(attrs, "stream", lineNo)));
            case "transpose" -> new Op.Transpose(arity(xs, 1, lineNo).get(0),
                    java.util.Arrays.stream(attr(attrs, "perm", lineNo).split(",")).map(Integer::valueOf).toList());
            case "slice" -> new Op.Slice(arity(xs, 1, lineNo).get(0), Integer.parseInt(attr(attrs, "axis", lineNo)),
                    Long.parseLong(attr(attrs, "start", lineNo)), Long.parseLong(attr(attrs, "end", lineNo)));
            case "concat" -> new Op.Concat(xs, Integer.parseInt(attr(attrs, "axis", lineNo)));
            case "causal_mask" -> {
                arity(xs, 0, lineNo);
                yield new Op.CausalMask(Integer.parseInt(attr(attrs, "n", lineNo)));
            }
            case "rnn", "lstm", "lstm_cells" -> {
                arity(xs, 5, lineNo);
                yield new Op.Recurrent(mnemonic.startsWith("lstm") ? Op.RecurrentKind.LSTM : Op.RecurrentKind.RNN,
                        xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4), mnemonic.endsWith("_cells"));
            }
            case "rnn_input_grad", "rnn_weight_grad" -> {
                arity(xs, 7, lineNo);
                yield new Op.RecurrentGrad(Op.RecurrentKind.RNN, mnemonic.contains("weight"), xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4),
                        xs.get(5), null, xs.get(6));
            }
            case "lstm_input_grad", "lstm_weight_grad" -> {
                arity(xs, 8, lineNo);
                yield new Op.RecurrentGrad(Op.RecurrentKind.LSTM, mnemonic.contains("weight"), xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4),
                        xs.get(5), xs.get(6), xs.get(7));
            }
            case "conv2d_input_grad", "conv2d_weight_grad" -> {
                arity(xs, 2, lineNo);
                int[] stride = pair(attr(attrs, "stride", lineNo));
                int[] pad = pair(attr(attrs, "pad", lineNo));
                Shape s = shapeAttr(attrs, lineNo);
                yield mnemonic.equals("conv2d_input_grad")
                        ? new Op.Conv2dInputGrad(xs.get(0), xs.get(1), s, stride[0], stride[1], pad[0], pad[1])
                        : new Op.Conv2dWeightGrad(xs.get(0), xs.get(1), s, stride[0], stride[1], pad[0], pad[1]);
            }
            default -> throw error(lineNo, "unknown op `" + mnemonic + "`");
        };
    }

    private static Shape shapeAttr(Map<String, String> attrs, int lineNo) {
        String s = attr(attrs, "shape", lineNo);
        return shape(s.substring(1, s.length() - 1));
    }

    private static List<Value> arity(List<Value> xs, int n, int lineNo) {
        if (xs.size() != n) throw error(lineNo, "expected " + n + " operands, got " + xs.size());
        return xs;
    }

    private static String attr(Map<String, String> attrs, String key, int lineNo) {
        String v = attrs.get(key);
        if (v == null) throw error(lineNo, "missing attribute `" + key + "`");
        return v;
    }

    private static boolean bool(String s) {
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got `" + s + "`");
        };
    }

    private static int[] pair(String s) {
        String[] parts = s.split("x");
        if (parts.length != 2) throw new IllegalArgumentException("expected HxW, got `" + s + "`");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    private static void define(Map<String, Value> scope, Value v, int lineNo) {
        if (scope.putIfAbsent(v.name(), v) != null) throw error(lineNo, "%" + v.name() + " is defined twice");
    }

    private static Value use(Map<String, Value> scope, String name, int lineNo) {
        Value v = scope.get(name);
        if (v == null) throw error(lineNo, "%" + name + " is used before it is defined");
        return v;
    }

    private static IllegalArgumentException error(int line, String message) {
        return new IllegalArgumentException("line " + line + ": " + message);
    }
}

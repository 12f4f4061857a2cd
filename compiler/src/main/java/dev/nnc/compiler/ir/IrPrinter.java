package dev.nnc.compiler.ir;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Prints a graph in the IR text form that {@link IrParser} reads back: {@code parse(print(g)).equals(g)}.
 * <pre>
 * graph Mlp(max_batch=64) {
 *   input %x: f32[B, 784]
 *   param %fc1.weight: f32[128, 784] = uniform(0.0874)
 *   %h: f32[B, 128] = matmul(%x, %fc1.weight) transA=false transB=true
 *   output probs = %probs
 * }
 * </pre>
 */
public final class IrPrinter {

    private IrPrinter() {}

    public static String print(Graph g) {
        StringBuilder sb = new StringBuilder();
        sb.append("graph ").append(g.name()).append("(max_batch=").append(g.maxBatch()).append(") {\n");
        for (Value v : g.inputs()) sb.append("  input ").append(v).append(": ").append(v.type()).append('\n');
        for (Param p : g.params()) {
            sb.append(switch (p.role()) {
                case WEIGHT -> "  param ";
                case BUFFER -> "  buffer ";
                case SLOT -> "  slot ";
            }).append(p.value()).append(": ").append(p.value().type()).append(" = ").append(p.init()).append('\n');
        }
        for (Node n : g.nodes()) sb.append("  ").append(node(n)).append('\n');
        for (Map.Entry<String, Value> e : g.outputs().entrySet()) {
            sb.append("  output ").append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        for (Map.Entry<Value, Value> e : g.updates().entrySet()) {
            sb.append("  update ").append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        return sb.append("}\n").toString();
    }

    /** One node as a line of IR text, without indentation. */
    public static String node(Node n) {
        Op op = n.op();
        String operands = op.operands().stream().map(Value::toString).collect(Collectors.joining(", "));
        return n.out() + ": " + n.out().type() + " = " + op.mnemonic() + "(" + operands + ")" + attributes(op);
    }

    private static String attributes(Op op) {
        return switch (op) {
            case Op.Unary u -> "";
            case Op.Binary b -> "";
            case Op.MatMul m -> " transA=" + m.transA() + " transB=" + m.transB();
            case Op.Conv2d c -> window(c.strideH(), c.strideW(), c.padH(), c.padW());
            case Op.Pool2d p -> " kernel=" + p.kernelH() + "x" + p.kernelW() + window(p.strideH(), p.strideW(), p.padH(), p.padW());
            case Op.Reduce r -> " axis=" + r.axis();
            case Op.Reshape r -> " shape=" + r.shape();
            case Op.Detach d -> "";
            case Op.Constant c -> " value=" + c.value();
            case Op.Broadcast b -> " shape=" + b.shape();
            case Op.SizeOf s -> " dim=" + s.dim();
            case Op.OneHot o -> " classes=" + o.classes();
            case Op.RandomUniform r -> " shape=" + r.shape() + " stream=" + r.stream();
            case Op.Conv2dInputGrad c -> " shape=" + c.inputShape() + window(c.strideH(), c.strideW(), c.padH(), c.padW());
            case Op.Conv2dWeightGrad c -> " shape=" + c.weightShape() + window(c.strideH(), c.strideW(), c.padH(), c.padW());
            case Op.Pool2dGrad p -> " kernel=" + p.kernelH() + "x" + p.kernelW() + window(p.strideH(), p.strideW(), p.padH(), p.padW());
            case Op.Transpose t -> " perm=" + t.perm().stream().map(String::valueOf).collect(Collectors.joining(","));
            case Op.Slice sl -> " axis=" + sl.axis() + " start=" + sl.start() + " end=" + sl.end();
            case Op.Concat c -> " axis=" + c.axis();
            case Op.CausalMask m -> " n=" + m.n();
            case Op.Recurrent r -> "";
            case Op.RecurrentGrad g -> "";
        };
    }

    private static String window(int strideH, int strideW, int padH, int padW) {
        return " stride=" + strideH + "x" + strideW + " pad=" + padH + "x" + padW;
    }
}

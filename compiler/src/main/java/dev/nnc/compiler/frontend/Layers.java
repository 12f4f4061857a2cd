package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.CallBinding;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lowers one call of a built-in layer to primitive ops: {@code dense} is a transposed matmul plus a bias,
 * {@code softmax} is the max-shifted exp over its sum, and so on. Checks each layer's preconditions first,
 * so a mistake is reported in the layer's terms with a hint.
 */
final class Layers {
    private final Frontend frontend;
    private final Call call;
    private final CallBinding binding;
    private final Map<String, Val> args;
    private final List<Val> rest;
    private final Frontend.Scope scope;
    private final Span at;

    Layers(Frontend frontend, Call call, CallBinding binding, Map<String, Val> args, List<Val> rest, Frontend.Scope scope) {
        this.frontend = frontend;
        this.call = call;
        this.binding = binding;
        this.args = args;
        this.rest = rest;
        this.scope = scope;
        this.at = call.calleeSpan();
    }

    Val lower() {
        return switch (call.callee()) {
            case "dense" -> dense();
            case "conv2d" -> conv2d();
            case "maxpool" -> pool(Op.PoolKind.MAX);
            case "avgpool" -> pool(Op.PoolKind.AVG);
            case "flatten" -> flatten();
            case "reshape" -> reshape();
            case "matmul" -> matmul();
            case "relu" -> unary(Op.UnaryKind.RELU);
            case "sigmoid" -> unary(Op.UnaryKind.SIGMOID);
            case "tanh" -> unary(Op.UnaryKind.TANH);
            case "gelu" -> unary(Op.UnaryKind.GELU);
            case "softmax" -> softmax();
            case "dropout" -> dropout();
            default -> throw new IllegalStateException("built-in `" + call.callee() + "` has no lowering");
        };
    }

    private Val dense() {
        Value x = tensor("x");
        Long units = positiveInt("units");
        if (x == null || units == null) return new Val.Poison();
        if (x.shape().rank() != 2) {
            return fail("dense expects a rank-2 input [batch, features], got " + x.type(),
                    x.shape().rank() > 2 ? "insert `flatten` before `dense`" : "reshape the input to [B, features] first");
        }
        if (x.shape().dim(1).batch()) return fail("dense cannot use the batch dimension as its feature count in " + x.type(), null);
        long in = x.shape().size(1);
        String name = layerName("fc");
        Value w = frontend.param(name + ".weight", TensorType.f32(Shape.of(units, in)), Init.heUniform(in), at);
        if (w == null) return new Val.Poison();
        Value y = frontend.addValue(new Op.MatMul(x, w, false, true), name);
        if (!bool("bias")) return new Val.Tensor(y);
        Value b = frontend.param(name + ".bias", TensorType.f32(Shape.of(units)), Init.zeros(), at);
        if (b == null) return new Val.Poison();
        return new Val.Tensor(frontend.addValue(new Op.Binary(Op.BinaryKind.ADD, y, b), name));
    }

    private Val conv2d() {
        Value x = tensor("x");
        Long out = positiveInt("out");
        Long kernel = positiveInt("kernel");
        Long stride = positiveInt("stride");
        Long pad = nonNegativeInt("pad");
        if (x == null || out == null || kernel == null || stride == null || pad == null) return new Val.Poison();
        if (x.shape().rank() != 4) {
            return fail("conv2d expects an NCHW input of rank 4, got " + x.type(),
                    x.shape().rank() == 2 ? "reshape it first, e.g. `reshape(B, 1, 28, 28)`" : null);
        }
        long channels = x.shape().size(1);
        String name = layerName("conv");
        long fanIn = channels * kernel * kernel;
        Value w = frontend.param(name + ".weight", TensorType.f32(Shape.of(out, channels, kernel, kernel)), Init.heUniform(fanIn), at);
        if (w == null) return new Val.Poison();
        Val y = frontend.add(new Op.Conv2d(x, w, stride.intValue(), stride.intValue(), pad.intValue(), pad.intValue()), name, at,
                "the input is " + x.type() + "; lower the kernel size or add padding");
        if (!(y instanceof Val.Tensor conv) || !bool("bias")) return y;
        Value b = frontend.param(name + ".bias", TensorType.f32(Shape.of(out)), Init.zeros(), at);
        if (b == null) return new Val.Poison();
        Value bias = frontend.addValue(new Op.Reshape(b, Shape.of(out, 1, 1)), name + ".bias");
        return new Val.Tensor(frontend.addValue(new Op.Binary(Op.BinaryKind.ADD, conv.value(), bias), name));
    }

    private Val pool(Op.PoolKind kind) {
        Value x = tensor("x");
        Long kernel = positiveInt("kernel");
        Long stride = positiveInt("stride");
        Long pad = nonNegativeInt("pad");
        if (x == null || kernel == null || stride == null || pad == null) return new Val.Poison();
        if (x.shape().rank() != 4) return fail(call.callee() + " expects an NCHW input of rank 4, got " + x.type(), null);
        if (2 * pad > kernel) {
            return fail(call.callee() + " padding " + pad + " is more than half the kernel " + kernel, "use pad ≤ " + kernel / 2);
        }
        return frontend.add(new Op.Pool2d(kind, x, kernel.intValue(), kernel.intValue(), stride.intValue(), stride.intValue(),
                pad.intValue(), pad.intValue()), call.callee(), at, "the input is " + x.type());
    }

    private Val flatten() {
        Value x = tensor("x");
        if (x == null) return new Val.Poison();
        Shape s = x.shape();
        if (s.rank() < 2) return fail("flatten expects a rank of at least 2, got " + x.type(), null);
        long rest = 1;
        for (int i = 1; i < s.rank(); i++) rest *= s.size(i);
        return frontend.add(new Op.Reshape(x, new Shape(List.of(s.dim(0), Dim.of(rest)))), "flatten", at);
    }

    private Val reshape() {
        Value x = tensor("x");
        if (x == null) return new Val.Poison();
        if (rest.isEmpty()) return fail("reshape needs the new dimensions", "e.g. `reshape(B, 1, 28, 28)`");
        List<Dim> dims = new ArrayList<>();
        int inferred = -1;
        for (int i = 0; i < rest.size(); i++) {
            Val v = rest.get(i);
            if (v instanceof Val.Batch b) {
                dims.add(b.dim());
            } else if (v instanceof Val.Int n && n.value() == -1 && inferred < 0) {
                inferred = i;
                dims.add(Dim.of(1));
            } else if (v instanceof Val.Int n && n.value() >= 1) {
                dims.add(Dim.of(n.value()));
            } else {
                return fail("reshape dimension " + (i + 1) + " must be a positive int, `B` or a single -1, got " + v.describe(), null);
            }
        }
        long known = 1;
        for (Dim d : dims) known *= d.factor();
        boolean batchOut = dims.stream().anyMatch(Dim::batch);
        long total = x.shape().perBatch();
        if (batchOut != x.shape().hasBatch()) {
            return fail("reshape must keep the batch dimension " + (x.shape().hasBatch() ? "(write `B` among the dims)" : "out (the input has none)")
                    + "; the input is " + x.type(), null);
        }
        if (inferred >= 0) {
            if (total % known != 0) return fail("reshape cannot fit " + x.type() + " into " + describe(dims, inferred), null);
            dims.set(inferred, Dim.of(total / known));
        }
        Shape target;
        try {
            target = new Shape(dims);
        } catch (IllegalArgumentException e) {
            return fail("reshape: " + e.getMessage(), null);
        }
        if (target.perBatch() != total) {
            return fail("reshape cannot turn " + x.type() + " into " + target + ": element counts differ", "use -1 for one dimension to infer it");
        }
        return frontend.add(new Op.Reshape(x, target), "reshape", at);
    }

    private static String describe(List<Dim> dims, int inferred) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < dims.size(); i++) parts.add(i == inferred ? "-1" : dims.get(i).toString());
        return "[" + String.join(", ", parts) + "]";
    }

    private Val matmul() {
        Value a = tensor("a");
        Value b = tensor("b");
        if (a == null || b == null) return new Val.Poison();
        return frontend.add(new Op.MatMul(a, b, false, false), "matmul", at, "the shapes are " + a.type() + " and " + b.type());
    }

    private Val unary(Op.UnaryKind kind) {
        Value x = tensor("x");
        if (x == null) return new Val.Poison();
        return frontend.add(new Op.Unary(kind, x), kind.mnemonic(), at);
    }

    /** softmax(x) = exp(x − max x) / Σ exp(x − max x) along {@code axis}; the shift keeps exp from overflowing. */
    private Val softmax() {
        Value x = tensor("x");
        Long axisArg = integer("axis");
        if (x == null || axisArg == null) return new Val.Poison();
        int rank = x.shape().rank();
        long axis = axisArg < 0 ? axisArg + rank : axisArg;
        if (axis < 0 || axis >= rank) return fail("softmax axis " + axisArg + " is out of range for " + x.type(), "use an axis in " + -rank + ".." + (rank - 1));
        if (x.shape().dim((int) axis).batch()) return fail("softmax over the batch dimension mixes examples", "use axis=-1");
        int ax = (int) axis;
        Value max = frontend.addValue(new Op.Reduce(Op.ReduceKind.MAX, x, ax), "softmax.max");
        Value shifted = frontend.addValue(new Op.Binary(Op.BinaryKind.SUB, x, max), "softmax.shifted");
        Value exp = frontend.addValue(new Op.Unary(Op.UnaryKind.EXP, shifted), "softmax.exp");
        Value sum = frontend.addValue(new Op.Reduce(Op.ReduceKind.SUM, exp, ax), "softmax.sum");
        return new Val.Tensor(frontend.addValue(new Op.Binary(Op.BinaryKind.DIV, exp, sum), "softmax"));
    }

    /** Training: x · [u ≥ p] / (1 − p) with u uniform per element and step; inference: x. */
    private Val dropout() {
        Value x = tensor("x");
        Double p = real("p");
        if (x == null || p == null) return new Val.Poison();
        if (p < 0 || p >= 1) return fail("dropout probability must be in [0, 1), got " + p, null);
        if (!frontend.training() || p == 0) return new Val.Tensor(x);
        Value u = frontend.addValue(new Op.RandomUniform(frontend.dropoutSeed(), x.shape(), frontend.nextDropoutStream()), "dropout.u");
        Value keep = frontend.addValue(new Op.Binary(Op.BinaryKind.GE, u, frontend.addValue(new Op.Constant(p.floatValue()), "c")), "dropout.keep");
        Value mask = frontend.addValue(new Op.Binary(Op.BinaryKind.MUL, keep, frontend.addValue(new Op.Constant((float) (1 / (1 - p))), "c")), "dropout.mask");
        return new Val.Tensor(frontend.addValue(new Op.Binary(Op.BinaryKind.MUL, x, mask), "dropout"));
    }

    // ---- argument access -------------------------------------------------------------------------

    private String layerName(String kind) {
        return args.get("name") instanceof Val.Str s ? scope.prefix + s.value() : scope.prefix + scope.nextName(kind);
    }

    private Value tensor(String param) {
        Val v = args.get(param);
        if (v instanceof Val.Tensor t) return t.value();
        frontend.report(Frontend.spanOf(call, param, binding),
                "`" + call.callee() + "` expects a tensor for `" + param + "`, got " + (v == null ? "nothing" : v.describe()), null);
        return null;
    }

    private Long integer(String param) {
        Val v = args.get(param);
        if (v instanceof Val.Int i) return i.value();
        frontend.report(Frontend.spanOf(call, param, binding),
                "`" + call.callee() + "` expects an int for `" + param + "`, got " + (v == null ? "nothing" : v.describe()), null);
        return null;
    }

    private Double real(String param) {
        Val v = args.get(param);
        if (v instanceof Val.Real r) return r.value();
        if (v instanceof Val.Int i) return (double) i.value();
        frontend.report(Frontend.spanOf(call, param, binding),
                "`" + call.callee() + "` expects a number for `" + param + "`, got " + (v == null ? "nothing" : v.describe()), null);
        return null;
    }

    private Long positiveInt(String param) {
        Long n = integer(param);
        if (n != null && (n < 1 || n > Integer.MAX_VALUE)) {
            frontend.report(Frontend.spanOf(call, param, binding), "`" + param + "` of " + call.callee() + " must be a positive int, got " + n, null);
            return null;
        }
        return n;
    }

    private Long nonNegativeInt(String param) {
        Long n = integer(param);
        if (n != null && (n < 0 || n > Integer.MAX_VALUE)) {
            frontend.report(Frontend.spanOf(call, param, binding), "`" + param + "` of " + call.callee() + " must be ≥ 0, got " + n, null);
            return null;
        }
        return n;
    }

    private boolean bool(String param) {
        return !(args.get(param) instanceof Val.Bool b) || b.value();
    }

    private Val fail(String message, String hint) {
        frontend.report(at, message, hint);
        return new Val.Poison();
    }
}

package dev.nnc.compiler.frontend;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.TypeError;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.Builtin;
import dev.nnc.dsl.CallBinding;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Span;
import dev.nnc.compiler.ir.Param;
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

    /** The built-in {@code builtin} (which {@code call} calls) as graph ops. */
    Val lower(Builtin builtin) {
        try {
            return lowerChecked(builtin);
        } catch (TypeError e) {
            // an operand the layer's ops do not take (an i32 input into dense, …): the IR's type checker says which
            frontend.report(at, "`" + call.callee() + "`: " + e.getMessage(), null);
            return new Val.Poison();
        }
    }

    private Val lowerChecked(Builtin builtin) {
        return switch (builtin) {
            case DENSE -> dense();
            case CONV2D -> conv2d();
            case MAXPOOL -> pool(Op.PoolKind.MAX);
            case AVGPOOL -> pool(Op.PoolKind.AVG);
            case FLATTEN -> flatten();
            case RESHAPE -> reshape();
            case MATMUL -> matmul();
            case RELU -> unary(Op.UnaryKind.RELU);
            case SIGMOID -> unary(Op.UnaryKind.SIGMOID);
            case TANH -> unary(Op.UnaryKind.TANH);
            case GELU -> unary(Op.UnaryKind.GELU);
            case SOFTPLUS -> unary(Op.UnaryKind.SOFTPLUS);
            case SOFTMAX -> softmax();
            case DROPOUT -> dropout();
            case BATCHNORM -> batchnorm();
            case LAYERNORM -> layernorm();
            case EMBEDDING -> embedding();
            case TRANSPOSE -> transpose();
            case SLICE -> slice();
            case CONCAT -> concat();
            case ATTENTION -> attention();
            case CONV_TRANSPOSE2D -> convTranspose();
            case RNN -> recurrent(Op.RecurrentKind.RNN);
            case LSTM -> recurrent(Op.RecurrentKind.LSTM);
        };
    }

    private Val dense() {
        Value x = tensor("x");
        Long units = positiveInt("units");
        if (x == null || units == null) return new Val.Poison();
        Shape s = x.shape();
        // [B, features], or a sequence [B, T, features] applied at every step
        if (s.rank() < 2 || s.rank() > 3 || (s.rank() == 3 && !s.hasBatch())) {
            return fail("dense expects a rank-2 input [batch, features], got " + x.type(),
                    s.rank() > 3 ? "insert `flatten` before `dense`" : "reshape the input to [B, features] first");
        }
        if (s.dim(s.rank() - 1).batch()) return fail("dense cannot use the batch dimension as its feature count in " + x.type(), null);
        long in = s.size(s.rank() - 1);
        String name = layerName("fc");
        Value w = frontend.param(name + ".weight", TensorType.f32(Shape.of(units, in)), Init.heUniform(in), at);
        if (w == null) return new Val.Poison();
        Value b = bool("bias") ? frontend.param(name + ".bias", TensorType.f32(Shape.of(units)), Init.zeros(), at) : null;
        // a sequence [B, T, …, F] is applied row by row: [B·T·…, F] · Wᵀ, then back to [B, T, …, units]
        Value rows = s.rank() == 2 ? x : frontend.addValue(new Op.Reshape(x, new Shape(List.of(Dim.batch(s.perBatch() / in), Dim.of(in)))), name + ".rows");
        Value y = frontend.addValue(new Op.MatMul(rows, w, false, true), name);
        if (b != null) y = frontend.addValue(new Op.Binary(Op.BinaryKind.ADD, y, b), name);
        if (s.rank() == 2) return new Val.Tensor(y);
        return new Val.Tensor(frontend.addValue(new Op.Reshape(y, s.withDim(s.rank() - 1, Dim.of(units))), name));
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
        // the shift keeps exp in range; softmax does not depend on it, so no gradient flows through it
        Value max = frontend.addValue(new Op.Detach(frontend.addValue(new Op.Reduce(Op.ReduceKind.MAX, x, ax), "softmax.max")), "softmax.max");
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
        Value u = frontend.addValue(new Op.RandomUniform(frontend.randomSeed(), x.shape(), frontend.nextRandomStream()), "dropout.u");
        Value keep = frontend.addValue(new Op.Binary(Op.BinaryKind.GE, u, frontend.addValue(new Op.Constant(p.floatValue()), "c")), "dropout.keep");
        Value mask = frontend.addValue(new Op.Binary(Op.BinaryKind.MUL, keep, frontend.addValue(new Op.Constant((float) (1 / (1 - p))), "c")), "dropout.mask");
        return new Val.Tensor(frontend.addValue(new Op.Binary(Op.BinaryKind.MUL, x, mask), "dropout"));
    }

    /**
     * Training: normalize each channel (dim 1) by the batch's mean and biased variance, and move the running
     * statistics toward the batch's (variance unbiased, as PyTorch); inference: normalize by the running statistics.
     * Either way then scale by {@code weight} and shift by {@code bias}.
     */
    private Val batchnorm() {
        Value x = tensor("x");
        Double momentum = real("momentum");
        Double eps = real("eps");
        if (x == null || momentum == null || eps == null) return new Val.Poison();
        Shape s = x.shape();
        if ((s.rank() != 2 && s.rank() != 4) || !s.hasBatch()) return fail("batchnorm expects [B, C] or [B, C, H, W], got " + x.type(), null);
        if (!(momentum >= 0 && momentum <= 1) || !(eps > 0)) return fail("batchnorm needs 0 ≤ momentum ≤ 1 and eps > 0", null);
        long channels = s.size(1);
        String name = layerName("bn");
        TensorType perChannel = TensorType.f32(Shape.of(channels));
        Value gamma = frontend.param(name + ".weight", perChannel, Init.ones(), at);
        Value beta = frontend.param(name + ".bias", perChannel, Init.zeros(), at);
        Value runningMean = frontend.param(name + ".running_mean", perChannel, Init.zeros(), Param.Role.BUFFER, at);
        Value runningVar = frontend.param(name + ".running_var", perChannel, Init.ones(), Param.Role.BUFFER, at);
        if (gamma == null || beta == null || runningMean == null || runningVar == null) return new Val.Poison();
        Shape channelShape = s.rank() == 4 ? Shape.of(channels, 1, 1) : Shape.of(channels);
        Value mean;
        Value variance;
        if (frontend.training()) {
            Dim count = new Dim(s.perBatch() / channels, true);
            mean = divide(sumExceptChannels(x), size(count));
            Value centered = binary(Op.BinaryKind.SUB, x, mean);
            variance = divide(sumExceptChannels(binary(Op.BinaryKind.MUL, centered, centered)), size(count));
            Value batchMean = frontend.addValue(new Op.Reshape(mean, Shape.of(channels)), name + ".mean");
            Value unbiased = frontend.addValue(new Op.Reshape(divide(binary(Op.BinaryKind.MUL, variance, size(count)),
                    binary(Op.BinaryKind.SUB, size(count), constant(1))), Shape.of(channels)), name + ".var");
            frontend.update(runningMean, blend(runningMean, batchMean, momentum));
            frontend.update(runningVar, blend(runningVar, unbiased, momentum));
        } else {
            mean = frontend.addValue(new Op.Reshape(runningMean, channelShape), name + ".mean");
            variance = frontend.addValue(new Op.Reshape(runningVar, channelShape), name + ".var");
        }
        Value normalized = divide(binary(Op.BinaryKind.SUB, x, mean),
                frontend.addValue(new Op.Unary(Op.UnaryKind.SQRT, binary(Op.BinaryKind.ADD, variance, constant(eps.floatValue()))), name));
        Value scaled = binary(Op.BinaryKind.MUL, normalized, frontend.addValue(new Op.Reshape(gamma, channelShape), name + ".weight"));
        return new Val.Tensor(binary(Op.BinaryKind.ADD, scaled, frontend.addValue(new Op.Reshape(beta, channelShape), name + ".bias")));
    }

    /** Σ over every axis but the channel axis 1, keeping the axes: [1, C(, 1, 1)]. */
    private Value sumExceptChannels(Value v) {
        Value s = v;
        for (int axis = v.shape().rank() - 1; axis >= 0; axis--) {
            if (axis != 1) s = frontend.addValue(new Op.Reduce(Op.ReduceKind.SUM, s, axis), "sum");
        }
        return frontend.addValue(new Op.Reshape(s, s.shape().rank() == 4 ? Shape.of(s.shape().size(1), 1, 1) : Shape.of(s.shape().size(1))), "sum");
    }

    /** (1 − m)·running + m·batch. */
    private Value blend(Value running, Value batch, double momentum) {
        return binary(Op.BinaryKind.ADD, binary(Op.BinaryKind.MUL, running, constant((float) (1 - momentum))),
                binary(Op.BinaryKind.MUL, batch, constant(momentum)));
    }

    /** (x − mean) / √(var + eps) · weight + bias over the last dimension, with the biased variance (PyTorch's LayerNorm). */
    private Val layernorm() {
        Value x = tensor("x");
        Double eps = real("eps");
        if (x == null || eps == null) return new Val.Poison();
        Shape s = x.shape();
        int last = s.rank() - 1;
        if (last < 1 || s.dim(last).batch()) return fail("layernorm expects [B, …, D], got " + x.type(), null);
        long d = s.size(last);
        String name = layerName("norm");
        Value gamma = frontend.param(name + ".weight", TensorType.f32(Shape.of(d)), Init.ones(), at);
        Value beta = frontend.param(name + ".bias", TensorType.f32(Shape.of(d)), Init.zeros(), at);
        if (gamma == null || beta == null) return new Val.Poison();
        Value mean = divide(frontend.addValue(new Op.Reduce(Op.ReduceKind.SUM, x, last), name + ".sum"), constant(d));
        Value centered = binary(Op.BinaryKind.SUB, x, mean);
        Value variance = divide(frontend.addValue(new Op.Reduce(Op.ReduceKind.SUM, binary(Op.BinaryKind.MUL, centered, centered), last), name + ".sum"), constant(d));
        Value normalized = divide(centered, frontend.addValue(new Op.Unary(Op.UnaryKind.SQRT, binary(Op.BinaryKind.ADD, variance, constant(eps.floatValue()))), name));
        return new Val.Tensor(binary(Op.BinaryKind.ADD, binary(Op.BinaryKind.MUL, normalized, gamma), beta));
    }

    /** rows of {@code weight} [num, dim] picked by i32 indices: one-hot(indices) · weight, so the gradient is a matmul too. */
    private Val embedding() {
        Value x = tensor("x");
        Long num = positiveInt("num");
        Long dim = positiveInt("dim");
        if (x == null || num == null || dim == null) return new Val.Poison();
        if (x.type().dtype() != dev.nnc.runtime.DType.I32 || !x.shape().hasBatch()) {
            return fail("embedding expects i32 indices [B, …], got " + x.type(), "declare the input as i32, e.g. `tokens: i32[B, 16]`");
        }
        String name = layerName("embedding");
        Value w = frontend.param(name + ".weight", TensorType.f32(Shape.of(num, dim)), new Init(Init.Kind.NORMAL, 1), at);
        if (w == null) return new Val.Poison();
        Value oneHot = frontend.addValue(new Op.OneHot(x, num.intValue()), name + ".one_hot");
        Value rows = frontend.addValue(new Op.Reshape(oneHot, new Shape(List.of(Dim.batch(x.shape().perBatch()), Dim.of(num)))), name);
        Value picked = frontend.addValue(new Op.MatMul(rows, w, false, false), name);
        List<Dim> dims = new ArrayList<>(x.shape().dims());
        dims.add(Dim.of(dim));
        return new Val.Tensor(frontend.addValue(new Op.Reshape(picked, new Shape(dims)), name));
    }

    private Val transpose() {
        Value x = tensor("x");
        if (x == null) return new Val.Poison();
        List<Integer> perm = new ArrayList<>();
        for (Val v : rest) {
            if (!(v instanceof Val.Int i)) return fail("transpose takes the new order of the dimensions as ints, got " + v.describe(), null);
            perm.add((int) i.value());
        }
        if (perm.isEmpty() && x.shape().rank() == 2 && !x.shape().hasBatch()) perm = List.of(1, 0);
        return frontend.add(new Op.Transpose(x, perm), "transpose", at, "e.g. `transpose(0, 2, 1)` swaps the last two of three dimensions");
    }

    private Val slice() {
        Value x = tensor("x");
        Long axis = integer("axis");
        Long start = integer("start");
        Long end = integer("end");
        if (x == null || axis == null || start == null || end == null) return new Val.Poison();
        int a = (int) (axis < 0 ? axis + x.shape().rank() : axis);
        if (a < 0 || a >= x.shape().rank()) return fail("slice axis " + axis + " is out of range for " + x.type(), null);
        if (start < 0 || end <= start) return fail("slice needs 0 ≤ start < end, got " + start + ".." + end, null);
        return frontend.add(new Op.Slice(x, a, start, end), "slice", at);
    }

    private Val concat() {
        Value a = tensor("a");
        Value b = tensor("b");
        Long axis = integer("axis");
        if (a == null || b == null || axis == null) return new Val.Poison();
        int ax = (int) (axis < 0 ? axis + a.shape().rank() : axis);
        if (ax < 0 || ax >= a.shape().rank()) return fail("concat axis " + axis + " is out of range for " + a.type(), null);
        return frontend.add(new Op.Concat(List.of(a, b), ax), "concat", at, "the shapes are " + a.type() + " and " + b.type());
    }

    /**
     * Multi-head self-attention over x [B, T, E] with PyTorch's MultiheadAttention weights: q, k, v from one
     * projection ({@code in_proj_weight} [3E, E]), softmax(q·kᵀ/√d) per head (masked above the diagonal when
     * causal), then {@code out_proj}.
     */
    private Val attention() {
        Value x = tensor("x");
        Long heads = positiveInt("heads");
        if (x == null || heads == null) return new Val.Poison();
        Shape s = x.shape();
        if (s.rank() != 3 || !s.hasBatch()) return fail("attention expects a sequence [B, T, E], got " + x.type(), null);
        long t = s.size(1);
        long e = s.size(2);
        if (e % heads != 0) return fail("attention: the embedding size " + e + " is not divisible by " + heads + " heads", null);
        long d = e / heads;
        String name = layerName("attention");
        Value inW = frontend.param(name + ".in_proj_weight", TensorType.f32(Shape.of(3 * e, e)), Init.xavierUniform(e, 3 * e), at);
        Value inB = frontend.param(name + ".in_proj_bias", TensorType.f32(Shape.of(3 * e)), Init.zeros(), at);
        Value outW = frontend.param(name + ".out_proj.weight", TensorType.f32(Shape.of(e, e)), Init.xavierUniform(e, e), at);
        Value outB = frontend.param(name + ".out_proj.bias", TensorType.f32(Shape.of(e)), Init.zeros(), at);
        if (inW == null || inB == null || outW == null || outB == null) return new Val.Poison();
        Value rows = frontend.addValue(new Op.Reshape(x, new Shape(List.of(Dim.batch(t), Dim.of(e)))), name + ".rows");
        Value qkv = binary(Op.BinaryKind.ADD, frontend.addValue(new Op.MatMul(rows, inW, false, true), name + ".qkv"), inB);
        Value[] parts = new Value[3];
        for (int i = 0; i < 3; i++) {
            Value part = frontend.addValue(new Op.Slice(qkv, 1, i * e, (i + 1) * e), name + ".qkv");
            Value split = frontend.addValue(new Op.Reshape(part, Shape.of(-1, t, heads, d)), name + ".heads");
            parts[i] = frontend.addValue(new Op.Transpose(split, List.of(0, 2, 1, 3)), name + ".heads");    // [B, H, T, d]
        }
        Value scores = binary(Op.BinaryKind.DIV, frontend.addValue(new Op.MatMul(parts[0], parts[1], false, true), name + ".scores"),
                constant((float) Math.sqrt(d)));
        if (bool("causal")) scores = binary(Op.BinaryKind.ADD, scores, frontend.addValue(new Op.CausalMask((int) t), name + ".mask"));
        Value max = frontend.addValue(new Op.Detach(frontend.addValue(new Op.Reduce(Op.ReduceKind.MAX, scores, 3), name + ".max")), name + ".max");
        Value exp = frontend.addValue(new Op.Unary(Op.UnaryKind.EXP, binary(Op.BinaryKind.SUB, scores, max)), name + ".exp");
        Value weights = binary(Op.BinaryKind.DIV, exp, frontend.addValue(new Op.Reduce(Op.ReduceKind.SUM, exp, 3), name + ".sum"));
        Value context = frontend.addValue(new Op.MatMul(weights, parts[2], false, false), name + ".context");           // [B, H, T, d]
        Value merged = frontend.addValue(new Op.Reshape(frontend.addValue(new Op.Transpose(context, List.of(0, 2, 1, 3)), name),
                new Shape(List.of(Dim.batch(t), Dim.of(e)))), name);
        Value out = binary(Op.BinaryKind.ADD, frontend.addValue(new Op.MatMul(merged, outW, false, true), name + ".out"), outB);
        return new Val.Tensor(frontend.addValue(new Op.Reshape(out, s), name));
    }

    /**
     * The transposed convolution (PyTorch ConvTranspose2d, weight [in, out, k, k]): the gradient of a convolution
     * with respect to its input, output size (h − 1)·stride − 2·pad + k + output_padding.
     */
    private Val convTranspose() {
        Value x = tensor("x");
        Long out = positiveInt("out");
        Long kernel = positiveInt("kernel");
        Long stride = positiveInt("stride");
        Long pad = nonNegativeInt("pad");
        Long outputPadding = nonNegativeInt("output_padding");
        if (x == null || out == null || kernel == null || stride == null || pad == null || outputPadding == null) return new Val.Poison();
        Shape s = x.shape();
        if (s.rank() != 4) return fail("conv_transpose2d expects an NCHW input of rank 4, got " + x.type(), null);
        if (outputPadding >= stride) return fail("output_padding must be smaller than the stride", null);
        long h = (s.size(2) - 1) * stride - 2 * pad + kernel + outputPadding;
        long w = (s.size(3) - 1) * stride - 2 * pad + kernel + outputPadding;
        if (h < 1 || w < 1) return fail("conv_transpose2d would produce an empty output from " + x.type(), "use less padding");
        String name = layerName("deconv");
        Value weight = frontend.param(name + ".weight", TensorType.f32(Shape.of(s.size(1), out, kernel, kernel)), Init.heUniform(s.size(1) * kernel * kernel), at);
        if (weight == null) return new Val.Poison();
        Shape outShape = new Shape(List.of(s.dim(0), Dim.of(out), Dim.of(h), Dim.of(w)));
        Val y = frontend.add(new Op.Conv2dInputGrad(x, weight, outShape, stride.intValue(), stride.intValue(), pad.intValue(), pad.intValue()), name, at);
        if (!(y instanceof Val.Tensor t) || !bool("bias")) return y;
        Value b = frontend.param(name + ".bias", TensorType.f32(Shape.of(out)), Init.zeros(), at);
        if (b == null) return new Val.Poison();
        return new Val.Tensor(binary(Op.BinaryKind.ADD, t.value(), frontend.addValue(new Op.Reshape(b, Shape.of(out, 1, 1)), name + ".bias")));
    }

    /**
     * A tanh RNN or an LSTM over x [B, T, F] with PyTorch's parameters ({@code weight_ih_l0}, {@code weight_hh_l0},
     * {@code bias_ih_l0}, {@code bias_hh_l0}; LSTM gates i, f, g, o): every state [B, T, H] with {@code sequence=true},
     * else the last one [B, H].
     */
    private Val recurrent(Op.RecurrentKind kind) {
        Value x = tensor("x");
        Long hidden = positiveInt("hidden");
        if (x == null || hidden == null) return new Val.Poison();
        Shape s = x.shape();
        if (s.rank() != 3 || !s.hasBatch()) {
            return fail(kind.mnemonic() + " expects a sequence [B, T, F], got " + x.type(), s.rank() == 2 ? "add a feature dimension, e.g. `reshape(B, T, 1)`" : null);
        }
        long gh = kind.gates() * hidden;
        String name = layerName(kind.mnemonic());
        Init init = Init.uniform(1 / Math.sqrt(hidden));
        Value wIh = frontend.param(name + ".weight_ih_l0", TensorType.f32(Shape.of(gh, s.size(2))), init, at);
        Value wHh = frontend.param(name + ".weight_hh_l0", TensorType.f32(Shape.of(gh, hidden)), init, at);
        Value bIh = frontend.param(name + ".bias_ih_l0", TensorType.f32(Shape.of(gh)), init, at);
        Value bHh = frontend.param(name + ".bias_hh_l0", TensorType.f32(Shape.of(gh)), init, at);
        if (wIh == null || wHh == null || bIh == null || bHh == null) return new Val.Poison();
        Value states = frontend.addValue(new Op.Recurrent(kind, x, wIh, wHh, bIh, bHh, false), name);
        if (bool("sequence")) return new Val.Tensor(states);
        long t = s.size(1);
        Value last = frontend.addValue(new Op.Slice(states, 1, t - 1, t), name + ".last");
        return new Val.Tensor(frontend.addValue(new Op.Reshape(last, new Shape(List.of(s.dim(0), Dim.of(hidden)))), name + ".last"));
    }

    private Value binary(Op.BinaryKind kind, Value a, Value b) {
        return frontend.addValue(new Op.Binary(kind, a, b), call.callee());
    }

    private Value divide(Value a, Value b) {
        return binary(Op.BinaryKind.DIV, a, b);
    }

    private Value constant(double c) {
        return frontend.addValue(new Op.Constant((float) c), "c");
    }

    private Value size(Dim d) {
        return frontend.addValue(new Op.SizeOf(d), "n");
    }

    // ---- argument access -------------------------------------------------------------------------

    private String layerName(String kind) {
        if (args.get("name") instanceof Val.Str s) {
            if (!s.value().matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
                frontend.report(Frontend.spanOf(call, "name", binding), "layer name \"" + s.value() + "\" is not a name",
                        "use letters, digits and `_`, dot-separated, e.g. name=\"proj\"");
                return scope.prefix + scope.nextName(kind);
            }
            return scope.prefix + s.value();
        }
        return scope.prefix + scope.nextName(kind);
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

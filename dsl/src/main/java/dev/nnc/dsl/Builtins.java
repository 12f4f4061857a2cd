package dev.nnc.dsl;

import static dev.nnc.dsl.ArgKind.BOOL;
import static dev.nnc.dsl.ArgKind.FLOAT;
import static dev.nnc.dsl.ArgKind.INT;
import static dev.nnc.dsl.ArgKind.STRING;
import static dev.nnc.dsl.ArgKind.TENSOR;

import dev.nnc.dsl.ast.BoolLit;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Expr;
import dev.nnc.dsl.ast.FloatLit;
import dev.nnc.dsl.ast.IntLit;
import dev.nnc.dsl.ast.Neg;
import dev.nnc.dsl.ast.Span;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.stream.Stream;

/**
 * The catalog of built-in layers and ops that {@code .nn} code may call. A new layer is one more
 * entry here; the grammar does not change. Immutable and thread-safe.
 */
public final class Builtins {

    private static final SequencedMap<String, Signature> CATALOG = catalog(
            layer("dense", "fully connected layer: x · W + b",
                    required("units", INT), constant("bias", BOOL, bool(true)), omittable("name", STRING)),
            layer("conv2d", "2-D convolution over NCHW input",
                    required("out", INT), required("kernel", INT), constant("stride", INT, integer(1)),
                    constant("pad", INT, integer(0)), constant("bias", BOOL, bool(true)),
                    omittable("name", STRING)),
            layer("maxpool", "2-D max pooling over NCHW input",
                    required("kernel", INT), new ParamSpec("stride", INT, new ParamDefault.SameAs("kernel")),
                    constant("pad", INT, integer(0))),
            layer("avgpool", "2-D average pooling over NCHW input",
                    required("kernel", INT), new ParamSpec("stride", INT, new ParamDefault.SameAs("kernel")),
                    constant("pad", INT, integer(0))),
            layer("flatten", "keeps the batch dim and flattens the rest"),
            new Signature("reshape", List.of(required("x", TENSOR)), true,
                    "new dims with the same element count; `B` and one `-1` allowed"),
            new Signature("matmul", List.of(required("a", TENSOR), required("b", TENSOR)), false,
                    "matrix product a · b"),
            layer("relu", "max(x, 0)"),
            layer("sigmoid", "1 / (1 + exp(-x))"),
            layer("tanh", "hyperbolic tangent"),
            layer("gelu", "Gaussian error linear unit"),
            layer("softplus", "log(1 + exp(x)), a smooth relu"),
            layer("softmax", "exp(x) / sum(exp(x)) along an axis", constant("axis", INT, integer(-1))),
            layer("dropout", "zeroes each element with probability p while training (scaling the rest by 1/(1-p)); identity otherwise",
                    constant("p", FLOAT, real(0.5))),
            layer("batchnorm", "normalizes each channel (dim 1) with batch statistics while training, running statistics otherwise",
                    constant("momentum", FLOAT, real(0.1)), constant("eps", FLOAT, real(1e-5)), omittable("name", STRING)),
            layer("layernorm", "normalizes the last dimension of each example, then scales and shifts it",
                    constant("eps", FLOAT, real(1e-5)), omittable("name", STRING)),
            layer("embedding", "looks up a learned vector for each i32 index in [0, num)",
                    required("num", INT), required("dim", INT), omittable("name", STRING)),
            new Signature("transpose", List.of(required("x", TENSOR)), true, "reorders the dimensions (a permutation; the batch stays first)"),
            layer("slice", "elements start <= i < end along an axis", required("axis", INT), required("start", INT), required("end", INT)),
            new Signature("concat", List.of(required("a", TENSOR), required("b", TENSOR), constant("axis", INT, integer(-1))), false,
                    "joins two tensors along an axis"),
            layer("attention", "multi-head self-attention over [B, T, E] (PyTorch MultiheadAttention weights)",
                    required("heads", INT), constant("causal", BOOL, bool(false)), omittable("name", STRING)),
            layer("conv_transpose2d", "transposed 2-D convolution (PyTorch ConvTranspose2d)",
                    required("out", INT), required("kernel", INT), constant("stride", INT, integer(1)), constant("pad", INT, integer(0)),
                    constant("output_padding", INT, integer(0)), constant("bias", BOOL, bool(true)), omittable("name", STRING)),
            layer("rnn", "a tanh RNN over [B, T, F]: the last hidden state [B, H], or every state [B, T, H] with sequence=true",
                    required("hidden", INT), constant("sequence", BOOL, bool(false)), omittable("name", STRING)),
            layer("lstm", "an LSTM over [B, T, F] (gates i, f, g, o): the last hidden state [B, H], or every state with sequence=true",
                    required("hidden", INT), constant("sequence", BOOL, bool(false)), omittable("name", STRING)));

    static {
        List<String> named = Stream.of(Builtin.values()).map(Builtin::dslName).toList();
        if (!named.equals(List.copyOf(CATALOG.keySet()))) {
            throw new IllegalStateException("the catalog " + CATALOG.keySet() + " and the Builtin enum " + named + " disagree");
        }
    }

    private Builtins() {
    }

    /** The built-in called {@code name}, if any. */
    public static Optional<Signature> lookup(String name) {
        return Optional.ofNullable(CATALOG.get(name));
    }

    /** Every built-in, in catalog order. */
    public static List<Signature> all() {
        return List.copyOf(CATALOG.values());
    }

    /**
     * Binds the arguments of a checked call to the signature's parameter names: positional
     * arguments first, then named ones, then defaults ({@link ParamDefault.Omittable} parameters
     * left out stay absent). Variadic arguments are in {@link CallBinding#variadic()}.
     *
     * @throws IllegalArgumentException when the call does not fit the signature (the checker
     *     reports such calls, so this does not happen for a program that passed the check)
     */
    public static Map<String, Expr> bind(Call call, Signature signature) {
        return CallBinding.of(call, signature).arguments();
    }

    private static SequencedMap<String, Signature> catalog(Signature... signatures) {
        SequencedMap<String, Signature> map = new LinkedHashMap<>();
        for (Signature signature : signatures) {
            map.put(signature.name(), signature);
        }
        return Collections.unmodifiableSequencedMap(map);
    }

    private static Signature layer(String name, String summary, ParamSpec... params) {
        return new Signature(name, Stream.concat(Stream.of(required("x", TENSOR)), Stream.of(params)).toList(),
                false, summary);
    }

    private static ParamSpec required(String name, ArgKind kind) {
        return new ParamSpec(name, kind, new ParamDefault.Required());
    }

    private static ParamSpec omittable(String name, ArgKind kind) {
        return new ParamSpec(name, kind, new ParamDefault.Omittable());
    }

    private static ParamSpec constant(String name, ArgKind kind, Expr value) {
        return new ParamSpec(name, kind, new ParamDefault.Constant(value));
    }

    private static Expr integer(long value) {
        return value < 0 ? new Neg(new IntLit(-value, Span.SYNTHETIC), Span.SYNTHETIC)
                : new IntLit(value, Span.SYNTHETIC);
    }

    private static Expr real(double value) {
        return new FloatLit(value, Span.SYNTHETIC);
    }

    private static Expr bool(boolean value) {
        return new BoolLit(value, Span.SYNTHETIC);
    }
}

package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.dsl.ast.AstPrinter;
import dev.nnc.dsl.ast.BlockDecl;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Expr;
import dev.nnc.dsl.ast.Let;
import dev.nnc.dsl.ast.ModelDecl;
import dev.nnc.dsl.ast.SourceFile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Arguments bind positionally, then by name, then from defaults, for built-ins and blocks alike. */
class CallBindingTest {

    /** The value of the first let in the first model of a one-model program. */
    private static Call firstCall(String letValue) {
        String text = "model M(x: f32[B, 1, 8, 8]) -> y {\n    y = " + letValue + "\n}\n";
        ParseResult result = Dsl.parseAndCheck(new SourceFile("t.nn", text));
        assertEquals(List.of(), result.diagnostics());
        ModelDecl model = (ModelDecl) result.program().decls().getFirst();
        return (Call) ((Let) model.body().getFirst()).value();
    }

    private static Map<String, String> inline(Map<String, Expr> bound) {
        return bound.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> AstPrinter.inline(e.getValue())));
    }

    @Test
    void conv2dBindsPositionalNamedAndDefaults() {
        Call call = firstCall("x |> conv2d(4, 3, pad=1)");
        Map<String, Expr> bound = Builtins.bind(call, Builtins.lookup("conv2d").orElseThrow());
        assertEquals(List.of("x", "out", "kernel", "stride", "pad", "bias"), List.copyOf(bound.keySet()));
        assertEquals(Map.of("x", "x", "out", "4", "kernel", "3", "stride", "1", "pad", "1", "bias", "true"),
                inline(bound));
        assertFalse(bound.containsKey("name"), "an omitted optional name stays unbound for the compiler to pick");
    }

    @Test
    void poolingStrideDefaultsToTheKernelArgument() {
        Call call = firstCall("x |> maxpool(kernel=2)");
        Map<String, Expr> bound = Builtins.bind(call, Builtins.lookup("maxpool").orElseThrow());
        assertSame(bound.get("kernel"), bound.get("stride"));
        Call explicit = firstCall("x |> avgpool(3, 1)");
        assertEquals("1", AstPrinter.inline(Builtins.bind(explicit, Builtins.lookup("avgpool").orElseThrow())
                .get("stride")));
    }

    @Test
    void reshapeCollectsVariadicInts() {
        Call call = firstCall("x |> reshape(B, -1)");
        CallBinding binding = CallBinding.of(call, Builtins.lookup("reshape").orElseThrow());
        assertEquals(List.of("B", "-1"), binding.variadic().stream().map(AstPrinter::inline).toList());
        assertEquals(List.of("x"), List.copyOf(binding.arguments().keySet()));
    }

    @Test
    void blockSignatureUsesTheBlockDefaults() {
        ParseResult result = Dsl.parseAndCheck(new SourceFile("t.nn", """
                block Scale(x, k: int = 3, s: float = 0.5) {
                    return x * s
                }
                model M(x: f32[B, 4]) -> y {
                    y = x |> Scale(s=2.0)
                }
                """));
        assertEquals(List.of(), result.diagnostics());
        Signature scale = Signature.ofBlock((BlockDecl) result.program().decls().getFirst()).orElseThrow();
        assertEquals("Scale(x: tensor, k: int = 3, s: float = 0.5)", scale.describe());
        Call call = (Call) ((Let) ((ModelDecl) result.program().decls().get(1)).body().getFirst()).value();
        assertEquals(Map.of("x", "x", "k", "3", "s", "2.0"), inline(Builtins.bind(call, scale)));
    }

    @Test
    void bindRejectsACallThatDoesNotFit() {
        Call call = firstCall("x |> relu");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Builtins.bind(call, Builtins.lookup("dense").orElseThrow()));
        assertEquals("missing argument `units` in call to `dense`", error.getMessage());
    }

    @Test
    void catalogDescribesEverySignature() {
        assertEquals(List.of("dense", "conv2d", "maxpool", "avgpool", "flatten", "reshape", "matmul", "relu",
                "sigmoid", "tanh", "gelu", "softplus", "softmax", "dropout", "batchnorm", "layernorm", "embedding", "transpose", "slice",
                "concat", "attention", "conv_transpose2d", "rnn", "lstm"), Builtins.all().stream().map(Signature::name).toList());
        assertEquals("maxpool(x: tensor, kernel: int, stride: int = kernel, pad: int = 0)",
                Builtins.lookup("maxpool").orElseThrow().describe());
        assertEquals("reshape(x: tensor, dims: int...)", Builtins.lookup("reshape").orElseThrow().describe());
        assertTrue(Builtins.all().stream().allMatch(s -> s.params().getFirst().kind() == ArgKind.TENSOR));
    }

    @Test
    void signatureRejectsADefaultThatNamesALaterParameter() {
        assertThrows(IllegalArgumentException.class, () -> new Signature("bad",
                List.of(new ParamSpec("stride", ArgKind.INT, new ParamDefault.SameAs("kernel")),
                        new ParamSpec("kernel", ArgKind.INT, new ParamDefault.Required())), false, "bad"));
    }
}

package dev.nnc.compiler.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.Diagnostic;
import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Graph IR the frontend builds: parameter names and shapes, block instances, batch limits and model choice. */
class FrontendTest {

    private static final Path EXAMPLES = Path.of("..", "examples");

    @Test
    void trainSectionsNameTheValuesTheyCannotFind() {
        String model = "model M(x: f32[B, 4]) -> y {\n    y = x |> dense(3)\n}\n";
        String loss = model + "train M {\n    target t: i32[B]\n    loss cross_entropy(z, t)\n    optimizer sgd(lr=0.1)\n}\n";
        String metric = model + "train M {\n    target t: i32[B]\n    loss cross_entropy(y, t)\n    optimizer sgd(lr=0.1)\n    metric acc = q + 1\n}\n";
        for (String[] c : new String[][] {{loss, "t.nn:6:24: error: `z` is not defined here"}, {metric, "t.nn:8:18: error: `q` is not defined here"}}) {
            CompileException e = assertThrows(CompileException.class, () -> Compiler.compile(new SourceFile("t.nn", c[0]), CompileOptions.defaults()));
            assertEquals(List.of(c[1].substring("t.nn:".length())), e.diagnostics().stream().map(Diagnostic::headline).toList());
            assertEquals("defined: B, params, t, x, y", e.diagnostics().getFirst().hint());
        }
    }

    @Test
    void mlpHasPyTorchNamedParametersInDeclarationOrder() throws Exception {
        Graph g = graphOf(example("mlp.nn"));

        assertEquals("Mlp", g.name());
        assertEquals(Map.of(
                        "fc1.weight", "[128, 784]", "fc1.bias", "[128]",
                        "fc2.weight", "[64, 128]", "fc2.bias", "[64]",
                        "fc3.weight", "[10, 64]", "fc3.bias", "[10]"),
                paramShapes(g));
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"),
                List.copyOf(paramShapes(g).keySet()));
        assertEquals(List.of("x"), g.inputs().stream().map(Value::name).toList());
        assertEquals("f32[B, 784]", g.inputs().getFirst().type().toString());
        assertEquals(List.of("probs"), List.copyOf(g.outputs().keySet()));
        assertEquals("f32[B, 10]", g.outputs().get("probs").type().toString());
        assertEquals(64, g.maxBatch());
    }

    @Test
    void lenetNamesConvolutionsAndDenseLayersSeparately() throws Exception {
        Graph g = graphOf(example("lenet.nn"));

        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("conv1.weight", "[6, 1, 5, 5]");
        expected.put("conv1.bias", "[6]");
        expected.put("conv2.weight", "[16, 6, 5, 5]");
        expected.put("conv2.bias", "[16]");
        expected.put("fc1.weight", "[120, 400]");
        expected.put("fc1.bias", "[120]");
        expected.put("fc2.weight", "[84, 120]");
        expected.put("fc2.bias", "[84]");
        expected.put("fc3.weight", "[10, 84]");
        expected.put("fc3.bias", "[10]");
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(paramShapes(g).entrySet()));
        assertEquals("f32[B, 1, 28, 28]", g.inputs().getFirst().type().toString());
        assertEquals("f32[B, 10]", g.outputs().get("probs").type().toString());
    }

    @Test
    void weightsAreHeUniformOverTheirFanInAndBiasesStartAtZero() throws Exception {
        Graph g = graphOf(example("lenet.nn"));

        Map<String, Init> inits = new LinkedHashMap<>();
        for (Param p : g.params()) inits.put(p.name(), p.init());
        assertEquals(Init.heUniform(1 * 5 * 5), inits.get("conv1.weight"), "conv1 fan-in is 1·5·5");
        assertEquals(Init.heUniform(6 * 25), inits.get("conv2.weight"), "conv2 fan-in is 6·5·5");
        assertEquals(Init.heUniform(400), inits.get("fc1.weight"));
        assertEquals(Init.zeros(), inits.get("fc1.bias"));
        assertEquals(Init.zeros(), inits.get("conv2.bias"));
    }

    @Test
    void explicitNamesReplaceTheCounterWithoutAdvancingIt() throws Exception {
        Graph g = graphOf("""
                model M(x: f32[B, 16]) -> y {
                    h = x |> dense(8) |> relu
                    h = h |> dense(4, name="hidden") |> relu
                    y = h |> dense(2, bias=false)
                }
                """);

        assertEquals(List.of("fc1.weight", "fc1.bias", "hidden.weight", "hidden.bias", "fc2.weight"),
                List.copyOf(paramShapes(g).keySet()));
        assertEquals("[4, 8]", paramShapes(g).get("hidden.weight"));
        assertEquals("[2, 4]", paramShapes(g).get("fc2.weight"));
    }

    @Test
    void eachBlockInstanceGetsItsOwnPrefixAndDimsBoundFromItsArgument() throws Exception {
        Graph g = graphOf("""
                block Residual(x: f32[B, C, H, W]) {
                    y = x |> conv2d(C, 3, pad=1) |> relu |> conv2d(C, 3, pad=1)
                    return relu(x + y)
                }
                model Net(x: f32[B, 8, 6, 6]) -> y {
                    h = Residual(x)
                    y = Residual(h)
                }
                """);

        Map<String, String> expected = new LinkedHashMap<>();
        for (String instance : List.of("residual1", "residual2")) {
            expected.put(instance + ".conv1.weight", "[8, 8, 3, 3]");
            expected.put(instance + ".conv1.bias", "[8]");
            expected.put(instance + ".conv2.weight", "[8, 8, 3, 3]");
            expected.put(instance + ".conv2.bias", "[8]");
        }
        assertEquals(List.copyOf(expected.entrySet()), List.copyOf(paramShapes(g).entrySet()));
        assertEquals("f32[B, 8, 6, 6]", g.outputs().get("y").type().toString());
    }

    @Test
    void boundDimsAreIntsInArithmeticAndBlocksNestTheirPrefixes() throws Exception {
        Graph g = graphOf("""
                block Widen(x: f32[B, C, H, W], k: int = 3) {
                    return x |> conv2d(C * 2, k, pad=k / 2) |> relu
                }
                block Stage(x: f32[B, C, H, W]) {
                    h = Widen(x)
                    return Widen(h, k=1)
                }
                model Net(x: f32[B, 3, 8, 8]) -> y {
                    y = x |> Stage |> flatten
                }
                """);

        assertEquals(List.of(
                        Map.entry("stage1.widen1.conv1.weight", "[6, 3, 3, 3]"),
                        Map.entry("stage1.widen1.conv1.bias", "[6]"),
                        Map.entry("stage1.widen2.conv1.weight", "[12, 6, 1, 1]"),
                        Map.entry("stage1.widen2.conv1.bias", "[12]")),
                List.copyOf(paramShapes(g).entrySet()));
        assertEquals("f32[B, 768]", g.outputs().get("y").type().toString(), "12 channels of 8×8 kept by pad=k/2");
    }

    @Test
    void maxBatchComesFromTheSourceElseDefaultsElseTheOverride() throws Exception {
        String declared = "model M(x: f32[B<=7, 4]) -> y {\n    y = x |> relu\n}\n";
        String undeclared = "model M(x: f32[B, 4]) -> y {\n    y = x |> relu\n}\n";

        assertEquals(7, graphOf(declared).maxBatch());
        assertEquals(Frontend.DEFAULT_MAX_BATCH, graphOf(undeclared).maxBatch());
        assertEquals(64, Frontend.DEFAULT_MAX_BATCH);
        assertEquals(16, Compiler.graph(source(declared), new CompileOptions(null, 16, 0, null)).maxBatch());
        assertEquals(3, Compiler.graph(source(undeclared), new CompileOptions(null, 3, 0, null)).maxBatch());
    }

    @Test
    void modelOptionPicksOneOfSeveralModels() throws Exception {
        SourceFile two = source("""
                model Small(x: f32[B, 784]) -> y {
                    y = x |> dense(10)
                }
                model Large(x: f32[B, 784]) -> y {
                    y = x |> dense(512) |> relu |> dense(10)
                }
                """);

        Graph large = Compiler.graph(two, new CompileOptions("Large", 0, 0, null));
        Graph small = Compiler.graph(two, new CompileOptions("Small", 0, 0, null));

        assertEquals("Large", large.name());
        assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"), large.params().stream().map(Param::name).toList());
        assertEquals("Small", small.name());
        assertEquals(List.of("fc1.weight", "fc1.bias"), small.params().stream().map(Param::name).toList());
        CompileException unknown = assertThrows(CompileException.class,
                () -> Compiler.graph(two, new CompileOptions("Medium", 0, 0, null)));
        Diagnostic d = unknown.diagnostics().getFirst();
        assertEquals("1:1: error: no model named `Medium`", d.headline());
        assertEquals("this file has [Small, Large]", d.hint());
    }

    @Test
    void aSingleModelIsCompiledEvenNextToBlocks() throws Exception {
        Graph g = graphOf("""
                block Head(x: f32[B, N]) {
                    return x |> dense(N / 2)
                }
                model Only(x: f32[B, 20]) -> y {
                    y = Head(x)
                }
                """);

        assertEquals("Only", g.name());
        assertEquals("[10, 20]", paramShapes(g).get("head1.fc1.weight"));
    }

    private static Map<String, String> paramShapes(Graph g) {
        Map<String, String> shapes = new LinkedHashMap<>();
        for (Param p : g.params()) shapes.put(p.name(), p.value().shape().toString());
        return shapes;
    }

    private static Graph graphOf(String text) throws CompileException {
        return Compiler.graph(source(text), CompileOptions.defaults());
    }

    private static SourceFile source(String text) {
        return new SourceFile("test.nn", text);
    }

    private static String example(String name) throws IOException {
        return Files.readString(EXAMPLES.resolve(name));
    }
}

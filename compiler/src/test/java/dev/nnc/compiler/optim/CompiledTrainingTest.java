package dev.nnc.compiler.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.Hyperparameters;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.Training.Optimizer;
import dev.nnc.runtime.TrainingSession;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * The compiled training step (forward, loss, backward, optimizer update, in float32) agrees with the reference
 * interpreter running the same training graph in float64, step after step, for every optimizer and loss.
 */
class CompiledTrainingTest {

    private static final String CNN = """
            model Net(x: f32[B<=8, 1, 6, 6]) -> probs {
                h = x |> conv2d(3, 3, pad=1) |> relu |> maxpool(2)
                h = h |> avgpool(2, stride=1) |> flatten
                h = h |> dense(8) |> gelu |> dropout(0.3)
                logits = h |> dense(4)
                probs = softmax(logits)
            }
            train Net {
                target y: i32[B]
                loss cross_entropy(logits, y) + 1e-3 * l2(params)
                optimizer OPTIMIZER
                seed 7
            }
            """;

    private static final String REGRESSION = """
            model Reg(x: f32[B<=8, 5]) -> (y, s) {
                h = x |> dense(6) |> tanh |> dense(6) |> sigmoid
                y = h |> dense(2)
                s = sigmoid(y)
            }
            train Reg {
                target t: f32[B, 2]
                loss mse(y, t) + 0.5 * bce_with_logits(y, t) + 1e-3 * l1(params)
                optimizer OPTIMIZER
            }
            """;

    /**
     * float32 against float64 over three steps: the per-step gradients agree to ~1e-6 relative, and an update
     * moves a weight by at most lr·|g| (SGD) or lr (Adam), so weights agree to 1e-4 of their magnitude (with a
     * floor of 1e-2 for weights near zero) — tight enough that a wrong rule or a wrong formula fails by orders of magnitude.
     */
    private static final double RELATIVE = 1e-4;

    @TempDir
    Path dir;

    private static final String LAYERS = TestModels.source(TestModels.models().get("layers")).text()
            .replace("optimizer adam(lr=1e-2)", "optimizer OPTIMIZER");

    private static final String GAN = TestModels.source(TestModels.repoRoot().resolve("compiler/src/test/resources/models/gan.nn")).text()
            .replace("optimizer adam(lr=2e-4, beta1=0.5)", "optimizer OPTIMIZER");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("gan sgd", GAN, "sgd(lr=0.1, momentum=0.5)"),
                Arguments.of("gan adam", GAN, "adam(lr=1e-2, beta1=0.5, eps=1e-3)"),
                // Attention's key bias and a bias before batchnorm have exactly zero gradient; Adam divides by √v, which
                // would turn rounding noise into ±lr steps. A larger eps keeps those steps at rounding size.
                Arguments.of("layers adam", LAYERS, "adam(lr=1e-2, eps=1e-3)"),
                Arguments.of("layers sgd", LAYERS, "sgd(lr=0.1, momentum=0.9)"),
                Arguments.of("cnn sgd", CNN, "sgd(lr=0.1)"),
                Arguments.of("cnn sgd nesterov decay", CNN, "sgd(lr=0.05, momentum=0.9, nesterov=true, weight_decay=1e-4)"),
                Arguments.of("cnn adam", CNN, "adam(lr=1e-2)"),
                Arguments.of("cnn adamw", CNN, "adamw(lr=1e-2, weight_decay=0.1)"),
                Arguments.of("regression adam", REGRESSION, "adam(lr=1e-2, beta1=0.8, weight_decay=1e-3)"),
                Arguments.of("regression momentum", REGRESSION, "sgd(lr=0.1, momentum=0.5)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void compiledStepsMatchInterpreter(String name, String template, String optimizer) throws Exception {
        SourceFile source = new SourceFile(name + ".nn", template.replace("OPTIMIZER", optimizer));
        Graph inference = Compiler.graph(source, CompileOptions.defaults());
        Map<String, NdArray> state = new LinkedHashMap<>(TestModels.randomParams(inference, 11));
        Path weights = TestModels.writeWeights(inference, state, dir.resolve("w.safetensors"));
        Compiler.Compilation c = Compiler.compile(source, CompileOptions.defaults().withWeights(weights));
        Compiler.Training training = c.training().orElseThrow();
        Graph train = training.graph();
        for (Param slot : training.slots()) state.put(slot.name(), NdArray.zeros(slot.value().shape().sizes(1)));

        StringWriter problems = new StringWriter();
        CheckClassAdapter.verify(new ClassReader(c.classFile()), getClass().getClassLoader(), false, new PrintWriter(problems));
        assertEquals("", problems.toString());

        Path artifact = dir.resolve("net.nnc");
        Compiler.writeArtifact(c, artifact);
        Optimizer spec = training.optimizer();
        long seedSetting = Long.parseLong(training.settings().getOrDefault("seed", "0"));
        SplittableRandom random = new SplittableRandom(5);
        try (NncModel model = NncModel.load(artifact); TrainingSession session = model.newTrainingSession()) {
            for (int step = 1; step <= 3; step++) {
                int batch = step == 2 ? 3 : 5;
                Map<String, NdArray> inputs = new HashMap<>();
                Map<String, Tensor> feed = new HashMap<>();
                for (Value v : train.inputs()) {
                    if (Hyperparameters.NAMES.contains(v.name())) continue;
                    NdArray a = NdArray.zeros(v.shape().sizes(batch));
                    for (int i = 0; i < a.data().length; i++) {
                        a.data()[i] = v.type().dtype() == DType.I32 ? random.nextInt(3) : (float) random.nextDouble();
                    }
                    inputs.put(v.name(), a);
                    feed.put(v.name(), v.type().dtype() == DType.I32 ? Tensor.ofInts(ints(a), a.shape()) : Tensor.of(a.toFloats(), a.shape()));
                }
                inputs.put(Hyperparameters.LR, scalar(spec.lr()));
                inputs.put(Hyperparameters.ADAM_BIAS1, scalar(Hyperparameters.adamBias1(spec.beta1(), step)));
                inputs.put(Hyperparameters.ADAM_BIAS2_SQRT, scalar(Hyperparameters.adamBias2Sqrt(spec.beta2(), step)));
                inputs.put(Hyperparameters.SEED, scalar(Hyperparameters.dropoutSeed(seedSetting, step)));
                inputs.keySet().retainAll(train.inputs().stream().map(Value::name).toList());

                Interpreter.Step expected = Interpreter.step(train, inputs, state);
                float loss = session.trainStep(feed);
                double expectedLoss = expected.outputs().get("loss").data()[0];
                assertClose(name + " step " + step + " loss", expectedLoss, loss, Math.abs(expectedLoss));
                state.putAll(expected.updated());
                for (Param p : train.params()) {
                    double[] want = state.get(p.name()).data();
                    float[] got = session.weight(p.name()).toFloatArray();
                    double scale = 1e-2;
                    for (double w : want) scale = Math.max(scale, Math.abs(w));
                    for (int i = 0; i < want.length; i++) assertClose(name + " step " + step + " " + p.name() + "[" + i + "]", want[i], got[i], scale);
                }
            }
        }
    }

    private static void assertClose(String what, double expected, double actual, double scale) {
        assertTrue(Math.abs(expected - actual) <= RELATIVE * Math.max(scale, 1e-2),
                what + ": compiled " + actual + ", interpreter " + expected);
    }

    private static NdArray scalar(double v) {
        return new NdArray(new long[0], new double[] {v});
    }

    private static int[] ints(NdArray a) {
        int[] r = new int[a.data().length];
        for (int i = 0; i < r.length; i++) r[i] = (int) a.data()[i];
        return r;
    }
}

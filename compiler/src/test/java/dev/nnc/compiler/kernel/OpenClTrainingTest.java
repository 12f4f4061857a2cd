package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.OpenClDevices;
import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.TrainingSession;
import dev.nnc.runtime.opencl.OpenClModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training on the OpenCL device against training on the JVM, from the same weights on the same batches: every example
 * (and the layer zoo, which adds transposed convolution, average pooling and more) takes three steps on both backends
 * at -O0 and -O2; the losses, every parameter and optimizer slot, the inference outputs of the trained weights, and a
 * checkpoint written by the device session and resumed on the JVM all agree.
 *
 * <p>Tolerance: 1e-4 of each tensor's largest magnitude (as {@code TrainingParityTest}). The two backends sum in
 * different orders (a gather kernel per element against blocked GEMMs) and OpenCL's exp and tanh are a few ulp from
 * {@code FloatMath}'s; three steps keep those differences near float32 rounding, and the optimizer slots are
 * compared at that tolerance. Adam's parameters get more room where their gradient is small: its update is lr · m/√v,
 * so moments that differ by δ (at most 1e-4 of the tensor's largest |m|) move a weight by about lr · δ/|m| per step,
 * up to 2 · lr where the gradient is rounding noise (e.g. the key bias of attention, whose exact gradient is zero
 * because softmax ignores a constant shift, so Adam steps by ±lr on noise). Dropout masks are bit-identical: both
 * backends compute the same counter-based generator.
 */
class OpenClTrainingTest {

    private static final int STEPS = 3;
    private static final double TOLERANCE = 1e-4;

    @BeforeAll
    static void needsADevice() {
        OpenClDevices.assumeOne();
    }

    static Stream<String> models() {
        return Stream.of("examples/mlp.nn", "examples/lenet.nn", "examples/autoencoder.nn", "examples/resnet_block.nn", "examples/transformer.nn",
                "examples/gan.nn", "examples/rnn.nn", "examples/lstm.nn", "compiler/src/test/resources/models/layers.nn");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void trainingOnTheDeviceMatchesTheJvm(String model, @TempDir Path dir) throws Exception {
        Path source = TestModels.repoRoot().resolve(model);
        for (OptLevel level : OptLevel.values()) {
            Compiler.Compilation c = Compiler.compile(new SourceFile(source.toString(), Files.readString(source)), CompileOptions.defaults().withOpt(level));
            Path artifact = dir.resolve(level + ".nnc");
            Compiler.writeArtifact(c, artifact);
            String what = model + " " + level;
            try (NncModel nnc = NncModel.load(artifact); OpenClModel device = OpenClModel.load(nnc)) {
                if (!nnc.isTrainable()) continue;
                Path checkpoint = dir.resolve(level + ".ckpt.safetensors");
                int batch = Math.min(7, nnc.manifest().maxBatch());
                try (TrainingSession jvm = nnc.newTrainingSession(); TrainingSession gpu = device.newTrainingSession()) {
                    SplittableRandom random = new SplittableRandom(11);
                    for (int step = 1; step <= STEPS; step++) {
                        Map<String, Tensor> inputs = randomBatch(nnc, batch, random);
                        float want = jvm.trainStep(inputs);
                        float got = gpu.trainStep(inputs);
                        assertClose(new float[] {want}, new float[] {got}, what + " loss at step " + step);
                    }
                    for (TensorSpec spec : nnc.manifest().training().slots()) {
                        assertClose(jvm.weight(spec.name()).toFloatArray(), gpu.weight(spec.name()).toFloatArray(), what + " " + spec.name());
                    }
                    for (TensorSpec spec : nnc.manifest().params()) {
                        assertParamClose(nnc, jvm, spec.name(), gpu.weight(spec.name()).toFloatArray(), what);
                    }
                    Map<String, Tensor> inputs = randomModelInputs(nnc, batch, random);
                    Map<String, Tensor> jvmOut = jvm.infer(inputs);
                    Map<String, Tensor> gpuOut = gpu.infer(inputs);
                    for (String name : jvmOut.keySet()) {
                        assertClose(jvmOut.get(name).toFloatArray(), gpuOut.get(name).toFloatArray(), what + " inference output " + name);
                    }
                    gpu.saveCheckpoint(checkpoint, Map.of());
                }
                try (TrainingSession resumed = nnc.newTrainingSession(checkpoint); TrainingSession deviceResumed = device.newTrainingSession(checkpoint)) {
                    assertEquals(STEPS, resumed.step());
                    for (TensorSpec spec : stateSpecs(nnc)) {
                        assertTrue(java.util.Arrays.equals(resumed.weight(spec.name()).toFloatArray(), deviceResumed.weight(spec.name()).toFloatArray()),
                                what + " " + spec.name() + " after resuming from the device's checkpoint");
                    }
                }
            }
        }
    }

    @Test
    void aModelWithoutATrainSectionSaysSo(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("tiny.nn");
        Files.writeString(source, "model Tiny(x: f32[B<=4, 4]) -> y {\n    y = x |> dense(2)\n}\n");
        Compiler.Compilation c = Compiler.compile(new SourceFile(source.toString(), Files.readString(source)), CompileOptions.defaults());
        Compiler.writeArtifact(c, dir.resolve("tiny.nnc"));
        try (NncModel nnc = NncModel.load(dir.resolve("tiny.nnc")); OpenClModel device = OpenClModel.load(nnc)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, device::newTrainingSession);
            assertTrue(e.getMessage().contains("has no training step"), e.getMessage());
        }
    }

    /** A parameter within {@link #TOLERANCE}, plus for Adam lr · steps · min(2, 2δ/|m|) (see the class comment). */
    private static void assertParamClose(NncModel nnc, TrainingSession jvm, String name, float[] got, String what) {
        float[] want = jvm.weight(name).toFloatArray();
        double lr = nnc.manifest().training().optimizer().lr();
        boolean hasMoment = nnc.manifest().training().slots().stream().anyMatch(slot -> slot.name().equals(name + ".exp_avg"));
        float[] moment = hasMoment ? jvm.weight(name + ".exp_avg").toFloatArray() : null;   // running statistics have none
        double scale = 1e-3, momentScale = 0;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; moment != null && i < moment.length; i++) momentScale = Math.max(momentScale, Math.abs(moment[i]));
        for (int i = 0; i < want.length; i++) {
            double adam = moment == null ? 0 : lr * STEPS * Math.min(2, 2 * TOLERANCE * momentScale / Math.abs(moment[i]));
            double bound = TOLERANCE * scale + adam;
            assertTrue(Math.abs(want[i] - got[i]) <= bound, what + " " + name + "[" + i + "]: JVM " + want[i] + ", OpenCL " + got[i] + ", bound " + bound);
        }
    }

    private static List<TensorSpec> stateSpecs(NncModel nnc) {
        List<TensorSpec> specs = new java.util.ArrayList<>(nnc.manifest().params());
        specs.addAll(nnc.manifest().training().slots());
        return specs;
    }

    /** A training batch: uniform [0, 1) floats; i32 targets as labels of the model's first output's classes; tokens as {@link #tensor}. */
    private static Map<String, Tensor> randomBatch(NncModel nnc, int batch, SplittableRandom random) {
        TensorSpec first = nnc.manifest().outputs().getFirst();
        int classes = first.rank() == 0 ? 1 : (int) first.shape()[first.rank() - 1];
        java.util.Set<String> modelInputs = new java.util.HashSet<>();
        for (TensorSpec spec : nnc.inputs()) modelInputs.add(spec.name());
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : nnc.manifest().training().inputs()) {
            inputs.put(spec.name(), tensor(spec, batch, modelInputs.contains(spec.name()) ? 2 : classes, random));
        }
        return inputs;
    }

    private static Map<String, Tensor> randomModelInputs(NncModel nnc, int batch, SplittableRandom random) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : nnc.inputs()) inputs.put(spec.name(), tensor(spec, batch, 2, random));
        return inputs;
    }

    /** Uniform [0, 1) floats, or i32 values in [0, bound) (token ids: every vocabulary here has at least two entries). */
    static Tensor tensor(TensorSpec spec, int batch, int bound, SplittableRandom random) {
        int count = (int) spec.elementCount(batch);
        if (spec.dtype() != DType.I32) return Tensor.of(floats(count, random), spec.shapeAt(batch));
        int[] values = new int[count];
        for (int i = 0; i < count; i++) values[i] = random.nextInt(bound);
        return Tensor.ofInts(values, spec.shapeAt(batch));
    }

    private static float[] floats(int count, SplittableRandom random) {
        float[] data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float) random.nextDouble();
        return data;
    }

    /** Each element within {@link #TOLERANCE} of the largest magnitude of {@code want} (at least 1e-3). */
    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 1e-3;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= TOLERANCE * scale, what + "[" + i + "]: JVM " + want[i] + ", OpenCL " + got[i]);
        }
    }
}

package dev.nnc.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.DType;
import dev.nnc.runtime.Json;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Npy;
import dev.nnc.runtime.Safetensors;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code nnc} command line through {@link Main#execute}: what each command prints and writes, and that every
 * mistake a user can make ends with exit code 1 and a message, never a stack trace.
 */
class CliTest {

    private static final Path MLP_SOURCE = Path.of("..", "examples", "mlp.nn");
    private static final Path FIXTURES = Path.of("..", "examples", "src", "test", "resources", "fixtures", "mlp");
    private static final Path X_B1 = FIXTURES.resolve("x_b1.npy");

    /** Parameters of the mlp example, in declaration order. */
    private static final List<TensorSpec> MLP_PARAMS = List.of(
            TensorSpec.of("fc1.weight", DType.F32, 128, 784), TensorSpec.of("fc1.bias", DType.F32, 128),
            TensorSpec.of("fc2.weight", DType.F32, 64, 128), TensorSpec.of("fc2.bias", DType.F32, 64),
            TensorSpec.of("fc3.weight", DType.F32, 10, 64), TensorSpec.of("fc3.bias", DType.F32, 10));

    /** The mlp example compiled once with the PyTorch fixture's weights, shared by the tests that only read it. */
    private static Path artifact;

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    /** What one CLI invocation returned and printed. */
    /** What one run of the command line printed, and its exit code (shared with the other CLI tests). */
    record Outcome(int code, String out, String err) {}

    @BeforeAll
    static void compileTheMlpExample() throws IOException {
        artifact = shared.resolve("mlp.nnc");
        Outcome o = nnc("compile", MLP_SOURCE.toString(), "--weights", FIXTURES.resolve("weights.safetensors").toString(),
                "-o", artifact.toString());
        assertEquals(0, o.code(), o.err());
    }

    // ---- compile ----------------------------------------------------------------------------------------

    @Test
    void runOnOpenClMatchesTheCpu() throws Exception {
        dev.nnc.compiler.OpenClDevices.assumeOne();
        Path cpu = dir.resolve("cpu");
        Path gpu = dir.resolve("gpu");

        Outcome onCpu = nnc("run", artifact.toString(), "-i", "x=" + X_B1, "--out", cpu.toString());
        Outcome onGpu = nnc("run", artifact.toString(), "-i", "x=" + X_B1, "--out", gpu.toString(), "--device", "opencl");

        assertEquals(0, onCpu.code(), onCpu.err());
        assertEquals(0, onGpu.code(), onGpu.err());
        float[] want = Npy.read(cpu.resolve("probs.npy")).toFloatArray();
        float[] got = Npy.read(gpu.resolve("probs.npy")).toFloatArray();
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5f, "probs[" + i + "]");
    }

    @Test
    void compileRefusesToOverwriteItsSourceAndToReadWhatIsNotASourceFile() throws Exception {
        Path source = copyMlp();
        String text = Files.readString(source);

        Outcome same = nnc("compile", source.toString(), "-o", source.toString());
        Outcome device = nnc("compile", "/dev/zero");
        Outcome weights = nnc("compile", source.toString(), "--weights", dir.resolve("missing.safetensors").toString());

        assertEquals(Main.USER_ERROR, same.code());
        assertEquals("nnc compile: -o " + source + " is the source itself; writing the artifact there would destroy it\n", same.err());
        assertEquals(text, Files.readString(source));
        assertEquals("nnc: /dev/zero: not a regular file (a .nn source is a text file)\n", device.err());
        assertTrue(weights.err().contains(dir.resolve("missing.safetensors") + ": no such file"), weights.err());
    }

    @Test
    void printAfterShowsTheIrOfBothEntryPointsAfterTheNamedPass() throws Exception {
        Path source = copyMlp();

        Outcome o = nnc("compile", source.toString(), "--print-after", "simplify,fuse", "-o", dir.resolve("p.nnc").toString());

        assertEquals(0, o.code(), o.err());
        for (String header : List.of("// after simplify (inference)\ngraph Mlp(", "// after fuse (inference)\nkernels Mlp(",
                "// after simplify (training)\ngraph Mlp(", "// after fuse (training)\nkernels Mlp(")) {
            assertTrue(o.err().contains(header), header + " in:\n" + o.err());
        }
        assertFalse(o.err().contains("// after lower"), o.err());
    }

    @Test
    void printAfterAnUnknownPassListsThePasses() throws Exception {
        Outcome o = nnc("compile", copyMlp().toString(), "--print-after", "inline");

        assertEquals(Main.USER_ERROR, o.code());
        assertEquals("nnc compile: --print-after inline is not a pass; the passes are all, autodiff, fold-batchnorm, simplify, dead-code, "
                + "lower, fuse, pack-weights\n", o.err());
    }

    @Test
    void compileWritesTheArtifactBesideTheSourceAndPrintsASummary() throws Exception {
        Path source = copyMlp();

        Outcome o = nnc("compile", source.toString());

        assertEquals(0, o.code(), o.err());
        assertEquals("", o.err());
        Path written = dir.resolve("mlp.nnc");
        assertTrue(o.out().matches("compiled Mlp -> \\Q" + written + "\\E: 109,386 parameters, \\d+ kernels, arena [0-9.]+ KiB, "
                + "[0-9.]+ KiB on disk \\(\\d+\\.\\d\\d s\\)\\n"), o.out());
        try (NncModel model = NncModel.load(written)) {
            assertEquals("Mlp", model.manifest().modelName());
            assertEquals(MLP_PARAMS, model.params());
        }
    }

    @Test
    void compileWritesWhereOutputSays() throws Exception {
        Path source = copyMlp();
        Path out = dir.resolve("custom-name.nnc");

        Outcome o = nnc("compile", source.toString(), "-o", out.toString(), "--max-batch", "8");

        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains(" -> " + out + ": "), o.out());
        assertFalse(Files.exists(dir.resolve("mlp.nnc")), "only the -o file is written");
        try (NncModel model = NncModel.load(out)) {
            assertEquals(8, model.manifest().maxBatch());
        }
    }

    @ParameterizedTest(name = "--emit {0}")
    @CsvSource({"ast, model Mlp", "ir, graph Mlp(max_batch=64) {", "kernels, kernels Mlp(max_batch=64) {"})
    void emitPrintsTheStageAndWritesNothing(String stage, String firstLine) throws Exception {
        Path source = copyMlp();

        Outcome o = nnc("compile", "--emit", stage, source.toString());

        assertEquals(0, o.code(), o.err());
        assertEquals(firstLine, o.out().lines().findFirst().orElseThrow());
        assertTrue(o.out().contains("fc1") || o.out().contains("dense"), o.out());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(source), files.toList());
        }
    }

    // ---- run --------------------------------------------------------------------------------------------

    @Test
    void runWritesEachOutputAsNpyEqualToTheJavaApi() throws Exception {
        Path out = dir.resolve("out");

        Outcome o = nnc("run", artifact.toString(), "--input", "x=" + X_B1, "--out", out.toString());

        assertEquals(0, o.code(), o.err());
        assertEquals("wrote " + out.resolve("probs.npy") + " " + Npy.read(out.resolve("probs.npy")) + "\n", o.out());
        Tensor fromCli = Npy.read(out.resolve("probs.npy"));
        Tensor fromApi;
        try (NncModel model = NncModel.load(artifact); Session session = model.newSession()) {
            fromApi = session.run(Map.of("x", Npy.read(X_B1))).get("probs");
        }
        assertArrayEquals(new long[] {1, 10}, fromCli.shape());
        assertArrayEquals(fromApi.toFloatArray(), fromCli.toFloatArray());
        // PyTorch computed the same model in float32 with another summation order: 784-term dot products differ by a
        // few ulps, which softmax probabilities in [0, 1] carry as absolute errors far below 1e-5.
        float[] torch = Npy.read(FIXTURES.resolve("probs_b1.npy")).toFloatArray();
        float[] ours = fromCli.toFloatArray();
        for (int i = 0; i < torch.length; i++) assertEquals(torch[i], ours[i], 1e-5, "probs[" + i + "]");
    }

    @Test
    void runTakesAWholeBatch() throws Exception {
        Path out = dir.resolve("out");

        Outcome o = nnc("run", artifact.toString(), "-i", "x=" + FIXTURES.resolve("x_b7.npy"), "--out", out.toString());

        assertEquals(0, o.code(), o.err());
        Tensor probs = Npy.read(out.resolve("probs.npy"));
        assertArrayEquals(new long[] {7, 10}, probs.shape());
        float[] torch = Npy.read(FIXTURES.resolve("probs_b7.npy")).toFloatArray();
        float[] ours = probs.toFloatArray();
        for (int i = 0; i < torch.length; i++) assertEquals(torch[i], ours[i], 1e-5, "probs[" + i / 10 + ", " + i % 10 + "]");
    }

    // ---- inspect ----------------------------------------------------------------------------------------

    @Test
    void inspectPrintsInputsOutputsAndParameters() {
        Outcome o = nnc("inspect", artifact.toString());

        assertEquals(0, o.code(), o.err());
        List<String> lines = o.out().lines().toList();
        assertTrue(lines.getFirst().startsWith("model     Mlp (from "), lines.getFirst());
        assertTrue(lines.contains("batch     1..64"), o.out());
        assertTrue(lines.contains("opencl    8 kernel launches (nnc run --device opencl)"), o.out());
        assertTrue(lines.contains(String.format("input     %-24s %s", "x", "f32[B, 784]")), o.out());
        assertTrue(lines.contains(String.format("output    %-24s %s", "probs", "f32[B, 10]")), o.out());
        assertTrue(lines.contains(String.format("param     %-24s %-20s %,12d", "fc1.weight", "f32[128, 784]", 100_352)), o.out());
        assertEquals("          6 parameter tensors, 109,386 values", lines.getLast());
    }

    @Test
    void inspectJsonListsTensorsAsNameDtypeShape() {
        Outcome o = nnc("inspect", "--json", artifact.toString());

        assertEquals(0, o.code(), o.err());
        Map<?, ?> doc = (Map<?, ?>) Json.parse(o.out());
        assertEquals("Mlp", doc.get("model"));
        assertEquals(64L, doc.get("max_batch"));
        assertEquals(8L, doc.get("opencl_kernels"));
        assertEquals(List.of(Map.of("name", "x", "dtype", "f32", "shape", List.of("B", 784L))), doc.get("inputs"));
        assertEquals(List.of(Map.of("name", "probs", "dtype", "f32", "shape", List.of("B", 10L))), doc.get("outputs"));
        List<Object> params = new ArrayList<>();
        for (TensorSpec p : MLP_PARAMS) params.add(Map.of("name", p.name(), "dtype", "f32", "shape", Arrays.stream(p.shape()).boxed().toList()));
        assertEquals(params, doc.get("params"));
    }

    // ---- help -------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "nnc {0}")
    @ValueSource(strings = {"--help", "compile --help", "run --help", "inspect --help", "help", "help run", "-h"})
    void helpExitsZeroWithUsage(String args) {
        Outcome o = nnc(args.split(" "));

        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().startsWith("Usage: nnc"), o.out());
        assertEquals("", o.err());
    }

    @Test
    void versionExitsZero() {
        Outcome o = nnc("--version");

        assertEquals(0, o.code(), o.err());
        assertEquals("nnc 0.1.0\n", o.out());
    }

    // ---- user errors: exit code 1, a message, no stack trace -------------------------------------------

    @Test
    void noCommand() {
        assertUserError(nnc(), "nnc: missing command: compile, run or inspect");
    }

    @Test
    void missingSourceFile() {
        Path missing = dir.resolve("nope.nn");

        assertUserError(nnc("compile", missing.toString()), "nnc: " + missing + ": no such file");
    }

    @Test
    void sourceWithErrorsPrintsTheFormattedDiagnostics() throws IOException {
        Path source = Files.writeString(dir.resolve("cnn.nn"), """
                model Cnn(x: f32[B, 1, 28, 28]) -> y {
                    y = x |> dense(10)
                }
                """);

        Outcome o = nnc("compile", source.toString());

        assertUserError(o, "error: dense");
        assertEquals(source + ":2:14: error: dense expects a rank-2 input [batch, features], got f32[B, 1, 28, 28]\n"
                + "    y = x |> dense(10)\n"
                + "             ^~~~~\n"
                + "  hint: insert `flatten` before `dense`\n"
                + "1 error\n", o.err());
        assertFalse(Files.exists(dir.resolve("cnn.nnc")));
    }

    @Test
    void unknownOption() throws IOException {
        Outcome o = nnc("compile", "--frobnicate", copyMlp().toString());

        assertUserError(o, "Unknown option: '--frobnicate'", "run `nnc compile --help` for usage");
    }

    @Test
    void unknownModel() throws IOException {
        assertUserError(nnc("compile", copyMlp().toString(), "--model", "Cnn"), "1:1: error: no model named `Cnn`", "this file has [Mlp]");
    }

    @Test
    void negativeMaxBatch() throws IOException {
        assertUserError(nnc("compile", copyMlp().toString(), "--max-batch", "-4"), "--max-batch must be positive, got -4");
    }

    @Test
    void runWithoutInput() {
        assertUserError(nnc("run", artifact.toString()), "Missing required option: '--input=NAME=FILE.npy'");
    }

    @Test
    void runWithAWrongInputName() {
        assertUserError(nnc("run", artifact.toString(), "--input", "y=" + X_B1, "--out", dir.toString()),
                "nnc run: unknown input 'y'; expected inputs: x: f32[B, 784]");
    }

    @Test
    void runWithAWrongInputShapeNamesExpectedAndActual() throws IOException {
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.of(new float[2 * 783], 2, 783));

        assertUserError(nnc("run", artifact.toString(), "--input", "x=" + x, "--out", dir.toString()),
                "nnc run: input x: expected f32[B, 784] with 1 ≤ B ≤ 64, got f32[2, 783]");
    }

    @Test
    void runWithIntegerInput() throws IOException {
        Path x = dir.resolve("x.npy");
        Npy.write(x, Tensor.ofInts(new int[784], 1, 784));

        assertUserError(nnc("run", artifact.toString(), "--input", "x=" + x, "--out", dir.toString()),
                "expected f32[B, 784]", "got i32[1, 784]");
    }

    @Test
    void runWithAMissingNpyFile() {
        Path x = dir.resolve("absent.npy");

        assertUserError(nnc("run", artifact.toString(), "--input", "x=" + x, "--out", dir.toString()), "nnc run: " + x + ": no such file");
    }

    @Test
    void runWithANonNpyFile() throws IOException {
        Path x = Files.writeString(dir.resolve("x.npy"), "1,2,3\n");

        assertUserError(nnc("run", artifact.toString(), "--input", "x=" + x, "--out", dir.toString()), "nnc run: " + x + ": ", ".npy");
    }

    @Test
    void truncatedArtifact() throws IOException {
        byte[] bytes = Files.readAllBytes(artifact);
        Path truncated = Files.write(dir.resolve("truncated.nnc"), Arrays.copyOf(bytes, bytes.length / 2));

        assertUserError(nnc("inspect", truncated.toString()), "nnc inspect: ");
        assertUserError(nnc("run", truncated.toString(), "--input", "x=" + X_B1, "--out", dir.resolve("out").toString()), "nnc run: ");
        assertFalse(Files.exists(dir.resolve("out")), "nothing is written for a damaged artifact");
    }

    @Test
    void artifactWithAFlippedByteInItsWeights() throws IOException {
        byte[] bytes = Files.readAllBytes(artifact);
        bytes[bytes.length / 2] ^= 0x01; // the weights are 437 KB of a 440 KB file, stored uncompressed
        Path flipped = Files.write(dir.resolve("flipped.nnc"), bytes);

        assertUserError(nnc("inspect", flipped.toString()), "nnc inspect: ");
        assertUserError(nnc("run", flipped.toString(), "--input", "x=" + X_B1, "--out", dir.toString()), "nnc run: ");
    }

    @Test
    void aFlippedByteAnywhereIsNeverAnInternalError() throws IOException {
        byte[] original = Files.readAllBytes(artifact);
        List<String> problems = new ArrayList<>();
        int detected = 0;
        for (int k = 0; k < 48; k++) {
            int at = k < 24 ? k * 37 : original.length - 1 - (k - 24) * 53; // the local header first, the central directory last
            byte[] bytes = original.clone();
            bytes[at] ^= (byte) 0x5a;
            Path damaged = Files.write(dir.resolve("damaged.nnc"), bytes);
            Outcome o = nnc("inspect", damaged.toString());
            if (o.code() == Main.USER_ERROR) detected++;
            // Only trace lines count here: a damaged central directory makes NncModel name java.io.EOFException in its
            // message, a wording problem reported separately, not a stack trace.
            boolean traced = o.err().contains("\tat ") || o.err().contains("    at ");
            if (o.code() == Main.INTERNAL_ERROR || traced) problems.add("byte " + at + ": " + o.err());
        }
        assertEquals(List.of(), problems);
        assertTrue(detected >= 24, "most flips in zip headers are detected, only " + detected + " of 48 were");
    }

    @Test
    void notAZipFile() throws IOException {
        Path bad = Files.writeString(dir.resolve("model.nnc"), "model Mlp(x: f32[B, 784]) -> y { }\n");

        assertUserError(nnc("inspect", bad.toString()), "nnc inspect: ");
        assertUserError(nnc("inspect", "--json", dir.resolve("absent.nnc").toString()), "nnc inspect: ");
    }

    @Test
    void weightsWithAMisShapedTensor() throws IOException {
        List<TensorSpec> specs = new ArrayList<>(MLP_PARAMS);
        specs.set(2, TensorSpec.of("fc2.weight", DType.F32, 128, 64));
        List<MemorySegment> data = specs.stream().map(s -> MemorySegment.ofArray(new float[(int) s.elementCount(1)])).toList();
        Path weights = dir.resolve("transposed.safetensors");
        Safetensors.write(weights, specs, data, Map.of());

        Outcome o = nnc("compile", copyMlp().toString(), "--weights", weights.toString());

        assertUserError(o, "nnc compile: " + weights + " does not fit model Mlp:",
                "tensor `fc2.weight` has shape [128, 64], the model expects [64, 128]");
        assertFalse(Files.exists(dir.resolve("mlp.nnc")));
    }

    @Test
    void inputsAndArtifactsThatAreNoFileOrTooBigAreRefusedByName() throws Exception {
        Path artifact = dir.resolve("m.nnc");
        assertEquals(Main.OK, nnc("compile", copyMlp().toString(), "-o", artifact.toString()).code());
        Path huge = dir.resolve("huge.npy");    // a valid header whose shape has 2^96 elements
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }";
        header = header + " ".repeat(117 - header.length()) + "\n";
        java.io.ByteArrayOutputStream npy = new java.io.ByteArrayOutputStream();
        npy.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        npy.write(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        npy.write(new byte[16]);
        Files.write(huge, npy.toByteArray());

        assertUserError(nnc("run", artifact.toString(), "-i", "x=" + huge),
                "nnc run: " + huge + ": .npy shape (4294967296, 4294967296, 4294967296) has more elements than a file can hold");
        assertUserError(nnc("run", artifact.toString(), "-i", "x=/dev/zero"), "nnc run: /dev/zero is not a regular file");
        assertUserError(nnc("run", artifact.toString(), "-i", "x=" + dir), "nnc run: " + dir + " is a directory, not a file");
        assertUserError(nnc("run", dir.toString(), "-i", "x=" + huge), "nnc run: cannot load " + dir + ": it is a directory, not an .nnc artifact");
        assertUserError(nnc("inspect", "/dev/null"), "not a regular file (an .nnc artifact is a zip file)");
    }

    @Test
    void inspectPrintsArtifactTextWithoutTerminalEscapes() {
        assertEquals("a\\u001b]0;title\\u0007b\\u202ec\\\\d", InspectCommand.printable("a\u001b]0;title\u0007b\u202ec\\d"));
        assertEquals("examples/mlp.nn", InspectCommand.printable("examples/mlp.nn"));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** Runs {@code nnc args…} in this JVM through {@link Main#execute}. */
    static Outcome nnc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Outcome(code, out.toString(), err.toString());
    }

    private static void assertUserError(Outcome o, String... fragments) {
        assertAll(
                () -> assertEquals(Main.USER_ERROR, o.code(), o.err()),
                () -> assertFalse(hasStackTrace(o.err()), "no stack trace:\n" + o.err()),
                () -> {
                    for (String f : fragments) assertTrue(o.err().contains(f), "expected `" + f + "` in:\n" + o.err());
                });
    }

    private static boolean hasStackTrace(String err) {
        return err.contains("\tat ") || err.contains("    at ") || err.contains("Exception");
    }

    private Path copyMlp() throws IOException {
        return Files.copy(MLP_SOURCE, dir.resolve("mlp.nn"));
    }
}

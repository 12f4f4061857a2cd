package dev.nnc.runtime;

import static java.lang.constant.ConstantDescs.CD_Class;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicCallSiteDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a class built here with the class-file API computes {@code y = x * w + b} (w a scalar weight, b a
 * 4-vector), is packaged by {@link ArtifactWriter}, loaded by {@link NncModel} and run through a {@link Session};
 * damaged and hostile artifacts are refused with clear messages.
 */
class ArtifactTest {

    private static final String MAIN = "nnc.gen.Scale";
    private static final ClassDesc CD_SEGMENT = ClassDesc.of("java.lang.foreign.MemorySegment");
    private static final ClassDesc CD_LAYOUT = ClassDesc.of("java.lang.foreign.ValueLayout");
    private static final ClassDesc CD_OF_FLOAT = ClassDesc.of("java.lang.foreign.ValueLayout$OfFloat");
    private static final MethodTypeDesc GET_FLOAT = MethodTypeDesc.of(CD_float, CD_OF_FLOAT, CD_long);
    private static final MethodTypeDesc SET_FLOAT = MethodTypeDesc.of(CD_void, CD_OF_FLOAT, CD_long, CD_float);
    private static final long IN_OFFSET = 0;
    private static final long OUT_OFFSET = 64;
    private static final int MAX_BATCH = 3;
    private static final float W = 2.5f;
    private static final float[] B = {1f, -2f, 0.5f, 4f};

    @TempDir
    Path dir;

    @Test
    void runsTheGeneratedModelOnMappedWeights() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        float[] x = {1, 2, 3, 4, -1, -2, -3, -4};
        try (NncModel model = NncModel.load(artifact); Session session = model.newSession()) {
            assertTrue(model.weights().isMapped(), "weights must be memory-mapped, not copied");
            assertTrue(model.weights().isReadOnly());
            Map<String, Tensor> out = session.run(Map.of("x", Tensor.of(x, 2, 4)));
            Tensor y = out.get("y");
            assertArrayEquals(new long[] {2, 4}, y.shape());
            float[] expected = new float[8];
            for (int i = 0; i < 8; i++) {
                expected[i] = x[i] * W + B[i % 4];
            }
            // x * w + b is one rounding per operation on both sides, computed in the same order: exact equality holds.
            assertArrayEquals(expected, y.toFloatArray(), 0f);
            float[] single = session.run(Map.of("x", Tensor.of(new float[] {1, 1, 1, 1}, 1, 4))).get("y").toFloatArray();
            assertArrayEquals(new float[] {3.5f, 0.5f, 3f, 6.5f}, single, 0f);
        }
    }

    @Test
    void weightsDataIs64ByteAlignedInTheFile() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        byte[] file = Files.readAllBytes(artifact);
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long entryStart = weightsEntryStart(file);
        assertEquals(0, entryStart % 64, "safetensors entry start");
        long headerLength = bytes.getLong((int) entryStart);
        assertEquals(0, (entryStart + 8 + headerLength) % 64, "safetensors data section start");
        assertEquals(W, bytes.getFloat((int) (entryStart + 8 + headerLength)), 0f);
        try (NncModel model = NncModel.load(artifact)) {
            assertEquals(0, model.weights().address() % 64, "mapped data section address");
            assertEquals(0, model.manifest().weightsFileOffset());
            assertEquals(List.of(TensorSpec.of("w", DType.F32, 1), TensorSpec.of("b", DType.F32, 4)), model.params());
        }
    }

    @Test
    void manifestRoundTripsThroughJson() throws Exception {
        Manifest m = manifest(Manifest.FORMAT_VERSION).withPackaging(Map.of("model.ir", "ab"), 7);
        assertEquals(m, Manifest.fromJson(m.toJson()));
        String noBatch = m.toJson().replace("\"max_batch\": 3,", "");
        ArtifactException e = assertThrows(ArtifactException.class, () -> Manifest.fromJson(noBatch));
        assertTrue(e.getMessage().startsWith("manifest.json has no field \"max_batch\"; recompile"), e.getMessage());
        String wrongType = m.toJson().replace("\"max_batch\": 3", "\"max_batch\": \"3\"");
        e = assertThrows(ArtifactException.class, () -> Manifest.fromJson(wrongType));
        assertTrue(e.getMessage().startsWith("manifest.json field \"max_batch\" must be an integer, got a string"), e.getMessage());
    }

    @Test
    void refusesATruncatedFile() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        byte[] file = Files.readAllBytes(artifact);
        Files.write(artifact, Arrays.copyOf(file, file.length / 2));
        assertRefused(artifact, "not a readable zip");
        assertRefused(dir.resolve("absent.nnc"), "no such file");
    }

    @Test
    void refusesAFlippedWeightByte() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        byte[] file = Files.readAllBytes(artifact);
        int entryStart = (int) weightsEntryStart(file);
        int dataStart = (int) (entryStart + 8 + ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(entryStart));
        file[dataStart + 2] ^= 0x01;
        Files.write(artifact, file);
        assertRefused(artifact, "entry weights.safetensors does not match its sha256 in manifest.json: the artifact was damaged or altered; "
                + "recompile the model with `nnc compile`");
    }

    @Test
    void refusesEditedEntriesAndManifest() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        Path editedIr = dir.resolve("ir.nnc");
        rewrite(artifact, editedIr, "model.ir", ir -> "edited".getBytes(StandardCharsets.UTF_8));
        assertRefused(editedIr, "entry model.ir does not match its sha256 in manifest.json");

        Path movedWeights = dir.resolve("offset.nnc");
        rewrite(artifact, movedWeights, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"weights_file_offset\": 0", "\"weights_file_offset\": 5").getBytes(StandardCharsets.UTF_8));
        assertRefused(movedWeights, "manifest.json places weights.safetensors at file offset 5, but there is no local file header there");

        Path unlisted = dir.resolve("unlisted.nnc");
        rewrite(artifact, unlisted, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"model.ir\":", "\"other.ir\":").getBytes(StandardCharsets.UTF_8));
        assertRefused(unlisted, "entry model.ir is not listed in manifest.json");
    }

    @Test
    void refusesAnEntryThatDoesNotMatchItsZipCrc() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        byte[] file = Files.readAllBytes(artifact);
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        boolean patched = false;
        for (int at = 0; at + 46 < file.length; at++) {    // the central directory entry of manifest.json: CRC at +16, name at +46
            if (bytes.getInt(at) == 0x02014b50 && new String(file, at + 46, Short.toUnsignedInt(bytes.getShort(at + 28)), StandardCharsets.UTF_8)
                    .equals("manifest.json")) {
                bytes.putInt(at + 16, bytes.getInt(at + 16) ^ 1);
                patched = true;
            }
        }
        assertTrue(patched);
        Path damaged = dir.resolve("crc.nnc");
        Files.write(damaged, file);
        assertRefused(damaged, "entry manifest.json does not match its zip CRC or size: the file is damaged");
    }

    @Test
    void refusesAClassUnderASecondSpellingOfItsName() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        Path dotted = dir.resolve("dotted.nnc");
        String canonical = ArtifactWriter.classEntryName(MAIN), other = "classes/" + MAIN + ".class";
        rewrite(artifact, dotted, "manifest.json", json -> new String(json, StandardCharsets.UTF_8).replace(canonical, other).getBytes(StandardCharsets.UTF_8),
                Map.of(canonical, other));
        assertRefused(dotted, "entry " + other + " is not the one canonical name of a class");
    }

    @Test
    void refusesNamesThatWouldEscapeAFolderAndOffsetsThatOverflow() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        Path traversal = dir.resolve("traversal.nnc");    // nnc run writes <output>.npy: this name would leave --out
        rewrite(artifact, traversal, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"name\": \"y\"", "\"name\": \"../../y\"").getBytes(StandardCharsets.UTF_8));
        assertRefused(traversal, "output name \"../../y\" is not a name nnc writes");

        Path escape = dir.resolve("escape.nnc");
        rewrite(artifact, escape, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"model_name\": \"Scale\"", "\"model_name\": \"\\u001b]0;owned\\u0007\"").getBytes(StandardCharsets.UTF_8));
        assertRefused(escape, "model name \"\\u001b]0;owned\\u0007\" is not a name nnc writes");

        Path overflow = dir.resolve("overflow.nnc");     // offset + size wraps around to a small number
        rewrite(artifact, overflow, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"arena_offset\": " + IN_OFFSET, "\"arena_offset\": 9223372036854775804").getBytes(StandardCharsets.UTF_8));
        assertRefused(overflow, "at arena offset 9223372036854775804");
    }

    @Test
    void aStaticInitializerThatLoopsOrAFinalizerIsRefusedWithoutRunningIt() throws Exception {
        Path loops = hostile("loops.nnc", cls -> cls.withMethodBody("<clinit>", MTD_void, ClassFile.ACC_STATIC, code -> {
            Label forever = code.newLabel();
            code.labelBinding(forever).goto_(forever);
        }));
        for (org.junit.jupiter.api.function.Executable load : List.<org.junit.jupiter.api.function.Executable>of(
                () -> NncModel.inspect(loops, Trust.ANY), () -> NncModel.load(loops).close())) {
            ArtifactException e = assertThrows(ArtifactException.class, () -> assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), load));
            assertTrue(e.getMessage().contains("has a static initializer with goto"), e.getMessage());
        }
        Path finalizer = hostile("finalizer.nnc", cls -> cls.withMethodBody("finalize", MTD_void, ClassFile.ACC_PROTECTED, code -> code.return_()));
        assertRefused(finalizer, "declares a finalizer");
    }

    @Test
    void inspectingRunsNoCodeOfTheArtifact() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        NncModel.Inspection inspection = NncModel.inspect(artifact, Trust.ANY);
        assertEquals("Scale", inspection.manifest().modelName());
        assertTrue(inspection.signer().isEmpty() && inspection.openCl().isEmpty());
    }

    /** The scale-and-shift artifact with {@code extra} added to its class. */
    private Path hostile(String name, Consumer<java.lang.classfile.ClassBuilder> extra) throws IOException {
        byte[] bytes = ClassFile.of().build(ClassDesc.of(MAIN), cls -> {
            cls.withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
                    .withSuperclass(CD_Object)
                    .withInterfaceSymbols(ClassDesc.of(CompiledModel.class.getName()))
                    .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                            code -> code.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_())
                    .withMethodBody("infer", MethodTypeDesc.of(CD_void, CD_SEGMENT, CD_SEGMENT, CD_int), ClassFile.ACC_PUBLIC, inferScaleAndShift());
            extra.accept(cls);
        });
        Path out = dir.resolve(name);
        List<MemorySegment> data = List.of(MemorySegment.ofArray(new float[] {W}), MemorySegment.ofArray(B.clone()));
        ArtifactWriter.write(out, manifest(Manifest.FORMAT_VERSION), Map.of(MAIN, Layouts.stamped(bytes, manifest(Manifest.FORMAT_VERSION))), params(), data, "y = x * w + b\n");
        return out;
    }

    @Test
    void aManifestEditedAwayFromTheCompiledLayoutIsRefused() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        Path raised = dir.resolve("raised.nnc");    // a larger max batch, with an arena that fits it, as a careful attacker would write
        rewrite(artifact, raised, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"max_batch\": " + MAX_BATCH, "\"max_batch\": 1000").replace("\"arena_bytes\": 128", "\"arena_bytes\": 65536")
                .getBytes(StandardCharsets.UTF_8));
        assertRefused(raised, "is not the one the generated code was compiled for (max_batch=3;arena=128;");

        Path moved = dir.resolve("moved.nnc");
        rewrite(artifact, moved, "manifest.json", json -> new String(json, StandardCharsets.UTF_8)
                .replace("\"arena_offset\": " + OUT_OFFSET, "\"arena_offset\": 80").getBytes(StandardCharsets.UTF_8));
        assertRefused(moved, "manifest.json's layout (max_batch=3;arena=128;in=x@0:f32[B, 4];out=y@80:f32[B, 4])");

        Path retyped = dir.resolve("retyped.nnc");     // the same bytes read as integers would be another answer
        rewrite(artifact, retyped, "manifest.json", json -> {
            String text = new String(json, StandardCharsets.UTF_8);
            int y = text.indexOf("\"name\": \"y\"");
            int dtype = text.indexOf("\"f32\"", y);
            return (text.substring(0, dtype) + "\"i32\"" + text.substring(dtype + 5)).getBytes(StandardCharsets.UTF_8);
        });
        assertRefused(retyped, "out=y@64:i32[B, 4]) is not the one the generated code was compiled for (");
    }

    @Test
    void refusesAnotherFormatVersion() throws Exception {
        Path artifact = writeArtifact(manifest(2), inferScaleAndShift());
        assertRefused(artifact, "artifact format version 2 is not supported: this runtime reads version 1; recompile the model with `nnc compile`");
    }

    @Test
    void refusesAClassCallingSystemExit() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), code -> code
                .iconst_0()
                .invokestatic(ClassDesc.of("java.lang.System"), "exit", MethodTypeDesc.of(CD_void, CD_int))
                .return_());
        assertRefused(artifact, "class nnc.gen.Scale refers to java/lang/System (System.exit), which generated code may not use");
    }

    @Test
    void refusesAClassUsingReflection() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), code -> code
                .ldc("java.lang.Runtime")
                .invokestatic(CD_Class, "forName", MethodTypeDesc.of(CD_Class, CD_String))
                .pop()
                .return_());
        assertRefused(artifact, "class nnc.gen.Scale refers to java/lang/Class (Class.forName), which generated code may not use");
    }

    @Test
    void refusesAClassUsingInvokedynamic() throws Exception {
        DynamicCallSiteDesc concat = DynamicCallSiteDesc.of(
                ConstantDescs.ofCallsiteBootstrap(ClassDesc.of("java.lang.invoke.StringConcatFactory"), "makeConcatWithConstants",
                        ConstantDescs.CD_CallSite, CD_String, CD_Object.arrayType()),
                "makeConcatWithConstants", MethodTypeDesc.of(CD_String), "constant");
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), code -> code.invokedynamic(concat).pop().return_());
        assertRefused(artifact, "class nnc.gen.Scale uses invokedynamic (makeConcatWithConstants), which generated code may not use");
    }

    @Test
    void refusesUnboundingASegment() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), code -> code
                .aload(1).ldc(1L << 40)
                .invokeinterface(CD_SEGMENT, "reinterpret", MethodTypeDesc.of(CD_SEGMENT, CD_long))
                .pop()
                .return_());
        assertRefused(artifact, "class nnc.gen.Scale calls java/lang/foreign/MemorySegment.reinterpret, which generated code may not use");
    }

    @Test
    void checksInputNamesDtypesAndShapes() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        try (NncModel model = NncModel.load(artifact); Session session = model.newSession()) {
            Tensor good = Tensor.of(new float[8], 2, 4);
            assertMessage("unknown input 'z'; expected inputs: x: f32[B, 4]", () -> session.run(Map.of("x", good, "z", good)));
            assertMessage("missing input 'x'; expected inputs: x: f32[B, 4]", () -> session.run(Collections.emptyMap()));
            assertMessage("input x: expected f32[B, 4] with 1 ≤ B ≤ 3, got f32[2, 3]",
                    () -> session.run(Map.of("x", Tensor.of(new float[6], 2, 3))));
            assertMessage("input x: expected f32[B, 4] with 1 ≤ B ≤ 3, got f32[4, 4]",
                    () -> session.run(Map.of("x", Tensor.of(new float[16], 4, 4))));
            assertMessage("input x: expected f32[B, 4] with 1 ≤ B ≤ 3, got i32[2, 4]",
                    () -> session.run(Map.of("x", Tensor.ofInts(new int[8], 2, 4))));
            assertMessage("input x: expected f32[B, 4] with 1 ≤ B ≤ 3, got f32[8]",
                    () -> session.run(Map.of("x", Tensor.of(new float[8], 8))));
        }
    }

    @Test
    void closedSessionsAndModelsAreRefused() throws Exception {
        Path artifact = writeArtifact(manifest(Manifest.FORMAT_VERSION), inferScaleAndShift());
        Map<String, Tensor> input = Map.of("x", Tensor.of(new float[4], 1, 4));
        NncModel model = NncModel.load(artifact);
        Session session = model.newSession();
        session.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> session.run(input));
        assertEquals("session of model Scale is closed", e.getMessage());
        Session other = model.newSession();
        model.close();
        e = assertThrows(IllegalStateException.class, () -> other.run(input));
        assertEquals("model Scale is closed", e.getMessage());
        assertThrows(IllegalStateException.class, model::newSession);
        other.close();
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }

    private static void assertRefused(Path artifact, String expectedFragment) {
        ArtifactException e = assertThrows(ArtifactException.class, () -> NncModel.load(artifact).close());
        assertTrue(e.getMessage().startsWith("cannot load " + artifact + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedFragment), () -> "message was: " + e.getMessage());
    }

    private static Manifest manifest(int formatVersion) {
        TensorSpec x = TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 4);
        TensorSpec y = TensorSpec.of("y", DType.F32, TensorSpec.BATCH, 4);
        return new Manifest(formatVersion, "0.1.0-test", Map.of("opt", "O2"), "Scale", "scale.nn", "00", MAIN, MAX_BATCH, 128,
                List.of(x), List.of(IN_OFFSET), List.of(y), List.of(OUT_OFFSET), params(), Map.of(), 0);
    }

    private static List<TensorSpec> params() {
        return List.of(TensorSpec.of("w", DType.F32, 1), TensorSpec.of("b", DType.F32, 4));
    }

    private Path writeArtifact(Manifest manifest, Consumer<CodeBuilder> infer) throws IOException {
        Path out = dir.resolve("scale.nnc");
        List<MemorySegment> data = List.of(MemorySegment.ofArray(new float[] {W}), MemorySegment.ofArray(B.clone()));
        ArtifactWriter.write(out, manifest, Map.of(MAIN, Layouts.stamped(modelClass(infer), manifest)), params(), data, "y = x * w + b\n");
        return out;
    }

    /** {@code public final class nnc.gen.Scale implements CompiledModel} with the given {@code infer} body. */
    private static byte[] modelClass(Consumer<CodeBuilder> infer) {
        return ClassFile.of().build(ClassDesc.of(MAIN), cls -> cls
                .withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
                .withSuperclass(CD_Object)
                .withInterfaceSymbols(ClassDesc.of(CompiledModel.class.getName()))
                .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                        code -> code.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_())
                .withMethodBody("infer", MethodTypeDesc.of(CD_void, CD_SEGMENT, CD_SEGMENT, CD_int), ClassFile.ACC_PUBLIC, infer));
    }

    /** {@code for i in 0 until 4·batch: arena[OUT + 4i] = arena[IN + 4i] * weights[0] + weights[4 + 4·(i % 4)]}. */
    private static Consumer<CodeBuilder> inferScaleAndShift() {
        int arena = 1, weights = 2, batch = 3, n = 4, i = 5, w = 6;
        return code -> {
            Label loop = code.newLabel();
            Label end = code.newLabel();
            code.aload(weights).getstatic(CD_LAYOUT, "JAVA_FLOAT", CD_OF_FLOAT).lconst_0()
                    .invokeinterface(CD_SEGMENT, "get", GET_FLOAT).fstore(w)
                    .iload(batch).iconst_4().imul().istore(n)
                    .iconst_0().istore(i)
                    .labelBinding(loop)
                    .iload(i).iload(n).if_icmpge(end)
                    .aload(arena).getstatic(CD_LAYOUT, "JAVA_FLOAT", CD_OF_FLOAT)
                    .ldc(OUT_OFFSET).iload(i).i2l().ldc(4L).lmul().ladd()
                    .aload(arena).getstatic(CD_LAYOUT, "JAVA_FLOAT", CD_OF_FLOAT)
                    .ldc(IN_OFFSET).iload(i).i2l().ldc(4L).lmul().ladd()
                    .invokeinterface(CD_SEGMENT, "get", GET_FLOAT)
                    .fload(w).fmul()
                    .aload(weights).getstatic(CD_LAYOUT, "JAVA_FLOAT", CD_OF_FLOAT)
                    .iload(i).iconst_4().irem().i2l().ldc(4L).lmul().ldc(4L).ladd()
                    .invokeinterface(CD_SEGMENT, "get", GET_FLOAT)
                    .fadd()
                    .invokeinterface(CD_SEGMENT, "set", SET_FLOAT)
                    .iinc(i, 1).goto_(loop)
                    .labelBinding(end)
                    .return_();
        };
    }

    /** The file offset of the weights entry's bytes, read from the first local header (the writer puts the weights first). */
    private static long weightsEntryStart(byte[] file) {
        ByteBuffer bytes = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x04034b50, bytes.getInt(0));
        assertEquals("weights.safetensors", new String(file, 30, Short.toUnsignedInt(bytes.getShort(26)), StandardCharsets.UTF_8));
        return 30 + Short.toUnsignedInt(bytes.getShort(26)) + Short.toUnsignedInt(bytes.getShort(28));
    }

    /** Copies the zip {@code from} to {@code to}, passing entry {@code name}'s bytes through {@code edit}; layout kept. */
    private static void rewrite(Path from, Path to, String name, UnaryOperator<byte[]> edit) throws IOException {
        rewrite(from, to, name, edit, Map.of());
    }

    /** {@link #rewrite(Path, Path, String, UnaryOperator)}, also renaming the entries {@code renames} names. */
    private static void rewrite(Path from, Path to, String name, UnaryOperator<byte[]> edit, Map<String, String> renames) throws IOException {
        try (ZipFile zip = new ZipFile(from.toFile()); OutputStream file = Files.newOutputStream(to);
             ZipOutputStream out = new ZipOutputStream(file)) {
            for (ZipEntry entry : Collections.list(zip.entries())) {
                byte[] bytes;
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readAllBytes();
                }
                if (entry.getName().equals(name)) {
                    bytes = edit.apply(bytes);
                }
                ZipEntry copy = new ZipEntry(renames.getOrDefault(entry.getName(), entry.getName()));
                copy.setMethod(entry.getMethod());
                copy.setExtra(entry.getExtra());
                copy.setTime(entry.getTime());
                if (entry.getMethod() == ZipEntry.STORED) {
                    CRC32 crc = new CRC32();
                    crc.update(bytes);
                    copy.setSize(bytes.length);
                    copy.setCompressedSize(bytes.length);
                    copy.setCrc(crc.getValue());
                }
                out.putNextEntry(copy);
                out.write(bytes);
                out.closeEntry();
            }
        }
    }
}

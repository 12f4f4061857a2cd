package dev.nnc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads an {@code .nnc} artifact, the mirror of {@link ArtifactWriter}: the manifest, every entry checked against its
 * sha256, the weights entry found stored at the offset the zip headers give and memory-mapped (with packed copies of
 * constant weights laid out when the manifest asks for them), and the classes verified by {@link ClassVerifier} and
 * defined in a loader that sees nothing beyond the allow-list. Every problem is an {@link ArtifactException} that
 * says what is wrong. Stateless.
 */
final class ArtifactReader {

    private static final int LOCAL_HEADER_SIGNATURE = 0x04034b50;
    private static final int LOCAL_HEADER_BYTES = 30;
    private static final long MAX_METADATA_ENTRY_BYTES = 64L << 20;
    /** A generated class's binary name: dot-separated Java identifiers. */
    private static final Pattern CANONICAL_CLASS = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    private ArtifactReader() {
    }

    /** What reading an artifact gives: its manifest, the weights the code runs on (in {@code arena}) and the code. */
    record Loaded(Manifest manifest, Arena arena, MemorySegment weights, CompiledModel compiled, OpenClSchedule openCl,
                  ArtifactSignature.Signer signer) {}

    /** Reads, checks and loads the artifact at {@code path} if {@code trust} accepts its signer; the caller owns the arena of the result. */
    static Loaded read(Path path, Trust trust) throws ArtifactException {
        return read(path, trust, true);
    }

    /**
     * Reads and checks the artifact at {@code path} as {@link #read(Path, Trust)} does — checksums, weights, every class
     * through the verifier — but defines and initializes no class, so no code of the artifact runs (for {@code inspect}).
     */
    static NncModel.Inspection inspect(Path path, Trust trust) throws ArtifactException {
        Loaded loaded = read(path, trust, false);
        loaded.arena().close();
        return new NncModel.Inspection(loaded.manifest(), java.util.Optional.ofNullable(loaded.openCl()), java.util.Optional.ofNullable(loaded.signer()));
    }

    private static Loaded read(Path path, Trust trust, boolean define) throws ArtifactException {
        if (Files.isDirectory(path)) {
            throw new ArtifactException("it is a directory, not an .nnc artifact");
        }
        if (!Files.isRegularFile(path)) {
            throw new ArtifactException(Files.exists(path) ? "not a regular file (an .nnc artifact is a zip file)" : "no such file");
        }
        Manifest manifest;
        Map<String, byte[]> classes = new TreeMap<>();
        ZipEntry weightsEntry;
        OpenClSchedule openCl;
        ArtifactSignature.Signer signer;
        try (ZipFile zip = new ZipFile(path.toFile())) {
            ZipEntry manifestEntry = zip.getEntry(ArtifactWriter.MANIFEST_ENTRY);
            if (manifestEntry == null) {
                throw new ArtifactException("the artifact has no " + ArtifactWriter.MANIFEST_ENTRY + "; " + ArtifactException.RECOMPILE);
            }
            byte[] manifestBytes = readEntry(zip, manifestEntry);
            ZipEntry signatureEntry = zip.getEntry(ArtifactSignature.ENTRY);
            signer = signatureEntry == null ? null : ArtifactSignature.verify(manifestBytes, readEntry(zip, signatureEntry));
            trust.check(signer);
            manifest = Manifest.fromJson(new String(manifestBytes, StandardCharsets.UTF_8));
            weightsEntry = checkEntries(zip, manifest, classes);
            openCl = openCl(zip, manifest);
        } catch (NoSuchFileException e) {
            throw new ArtifactException("no such file", e);
        } catch (ZipException e) {
            throw new ArtifactException("not a readable zip (" + e.getMessage() + "); the file is damaged, truncated or not an .nnc artifact; "
                    + ArtifactException.RECOMPILE, e);
        } catch (IOException e) {
            throw new ArtifactException("cannot read the file (" + e + ")", e);
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment weights = runWeights(manifest, mapWeights(path, manifest, weightsEntry, arena), arena);
            CompiledModel compiled = define ? defineClasses(manifest, classes) : verifyClasses(manifest, classes);
            return new Loaded(manifest, arena, weights, compiled, openCl, signer);
        } catch (ArtifactException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The mapped data section itself, or, when the manifest asks for packed copies, an aligned copy followed by them. */
    private static MemorySegment runWeights(Manifest manifest, MemorySegment mapped, Arena arena) {
        if (manifest.packedWeights().isEmpty()) {
            return mapped;
        }
        MemorySegment run = arena.allocate(manifest.runWeightsBytes(), Safetensors.ALIGNMENT);
        PackedWeights.prepare(manifest, mapped, run);
        return run.asReadOnly();
    }

    /** The OpenCL program and launch order, when the artifact has both (their checksums were checked with every entry). */
    private static OpenClSchedule openCl(ZipFile zip, Manifest manifest) throws IOException, ArtifactException {
        boolean source = manifest.entrySha256().containsKey(ArtifactWriter.OPENCL_SOURCE_ENTRY);
        boolean launches = manifest.entrySha256().containsKey(ArtifactWriter.OPENCL_LAUNCH_ENTRY);
        if (source != launches) {
            throw new ArtifactException("the artifact has one of " + ArtifactWriter.OPENCL_SOURCE_ENTRY + " and " + ArtifactWriter.OPENCL_LAUNCH_ENTRY
                    + " without the other; " + ArtifactException.RECOMPILE);
        }
        if (!source) return null;
        String text = new String(readEntry(zip, zip.getEntry(ArtifactWriter.OPENCL_SOURCE_ENTRY)), StandardCharsets.UTF_8);
        String json = new String(readEntry(zip, zip.getEntry(ArtifactWriter.OPENCL_LAUNCH_ENTRY)), StandardCharsets.UTF_8);
        return OpenClSchedule.fromArtifact(text, json);
    }

    /** Checks every entry against the manifest's checksums, collects the class files, and returns the weights entry. */
    private static ZipEntry checkEntries(ZipFile zip, Manifest manifest, Map<String, byte[]> classes) throws IOException, ArtifactException {
        Set<String> seen = new HashSet<>();
        ZipEntry weightsEntry = null;
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry entry = entries.nextElement();
            String name = entry.getName();
            if (name.equals(ArtifactWriter.MANIFEST_ENTRY) || name.equals(ArtifactSignature.ENTRY)) {
                if (!seen.add(name)) throw new ArtifactException("entry " + name + " appears twice; " + ArtifactException.RECOMPILE);
                continue;
            }
            String expected = manifest.entrySha256().get(name);
            if (expected == null) {
                throw new ArtifactException("entry " + name + " is not listed in manifest.json; " + ArtifactException.RECOMPILE);
            }
            if (!seen.add(name)) {
                throw new ArtifactException("entry " + name + " appears twice; " + ArtifactException.RECOMPILE);
            }
            if (name.equals(ArtifactWriter.WEIGHTS_ENTRY)) {
                weightsEntry = entry;
                continue;
            }
            byte[] bytes = readEntry(zip, entry);
            if (!Sha256.of(bytes).equals(expected)) {
                throw checksumMismatch(name);
            }
            if (name.startsWith(ArtifactWriter.CLASSES_FOLDER) && name.endsWith(".class")) {
                String binaryName = name.substring(ArtifactWriter.CLASSES_FOLDER.length(), name.length() - ".class".length()).replace('/', '.');
                // one spelling per class: `classes/nnc.gen.Mlp.class` must not stand in for `classes/nnc/gen/Mlp.class`
                if (!CANONICAL_CLASS.matcher(binaryName).matches() || !ArtifactWriter.classEntryName(binaryName).equals(name)
                        || classes.put(binaryName, bytes) != null) {
                    throw new ArtifactException("entry " + name + " is not the one canonical name of a class (classes/<package>/<Name>.class); "
                            + ArtifactException.RECOMPILE);
                }
            }
        }
        for (String listed : manifest.entrySha256().keySet()) {
            if (!seen.contains(listed)) {
                throw new ArtifactException("entry " + listed + " listed in manifest.json is missing; " + ArtifactException.RECOMPILE);
            }
        }
        if (weightsEntry == null) {
            throw new ArtifactException("the artifact has no " + ArtifactWriter.WEIGHTS_ENTRY + "; " + ArtifactException.RECOMPILE);
        }
        if (weightsEntry.getMethod() != ZipEntry.STORED) {
            throw new ArtifactException(ArtifactWriter.WEIGHTS_ENTRY + " is compressed, so it cannot be memory-mapped; " + ArtifactException.RECOMPILE);
        }
        return weightsEntry;
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry) throws IOException, ArtifactException {
        if (entry.getSize() > MAX_METADATA_ENTRY_BYTES) {
            throw new ArtifactException("entry " + entry.getName() + " is " + entry.getSize() + " bytes, more than the limit of "
                    + MAX_METADATA_ENTRY_BYTES + "; " + ArtifactException.RECOMPILE);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) MAX_METADATA_ENTRY_BYTES + 1);
            if (bytes.length > MAX_METADATA_ENTRY_BYTES) {
                throw new ArtifactException("entry " + entry.getName() + " inflates to more than " + MAX_METADATA_ENTRY_BYTES + " bytes; "
                        + ArtifactException.RECOMPILE);
            }
            CRC32 crc = new CRC32();
            crc.update(bytes);
            if (bytes.length != entry.getSize() || crc.getValue() != entry.getCrc()) {
                // ZipFile does not check: a flipped bit in a deflated entry could inflate to other, well-formed text
                throw new ArtifactException("entry " + entry.getName() + " does not match its zip CRC or size: the file is damaged; "
                        + ArtifactException.RECOMPILE);
            }
            return bytes;
        }
    }

    private static ArtifactException checksumMismatch(String entry) {
        return new ArtifactException("entry " + entry + " does not match its sha256 in manifest.json: the artifact was damaged or altered; "
                + ArtifactException.RECOMPILE);
    }

    /**
     * Finds the weights' local header at the manifest's offset, checks it against the zip directory, maps exactly the
     * entry's bytes, verifies their checksum and the safetensors layout the generated code assumes, and returns the
     * read-only data section.
     */
    private static MemorySegment mapWeights(Path path, Manifest manifest, ZipEntry entry, Arena arena) throws ArtifactException {
        String name = ArtifactWriter.WEIGHTS_ENTRY;
        long size = entry.getSize();
        MemorySegment file;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long headerOffset = manifest.weightsFileOffset();
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            ByteBuffer header = ByteBuffer.allocate(LOCAL_HEADER_BYTES + nameBytes.length).order(ByteOrder.LITTLE_ENDIAN);
            if (headerOffset > channel.size() - header.capacity()) {
                throw badWeightsHeader(headerOffset, "it lies beyond the end of the file");
            }
            while (header.hasRemaining()) {
                if (channel.read(header, headerOffset + header.position()) < 0) {
                    throw badWeightsHeader(headerOffset, "the file ends inside its local header");
                }
            }
            if (header.getInt(0) != LOCAL_HEADER_SIGNATURE) {
                throw badWeightsHeader(headerOffset, "there is no local file header there");
            }
            int method = Short.toUnsignedInt(header.getShort(8));
            long compressedSize = Integer.toUnsignedLong(header.getInt(18));
            long uncompressedSize = Integer.toUnsignedLong(header.getInt(22));
            int nameLength = Short.toUnsignedInt(header.getShort(26));
            int extraLength = Short.toUnsignedInt(header.getShort(28));
            byte[] foundName = new byte[nameBytes.length];
            header.get(LOCAL_HEADER_BYTES, foundName);
            if (nameLength != nameBytes.length || !Arrays.equals(foundName, nameBytes)) {
                throw badWeightsHeader(headerOffset, "the local file header there is not the one of " + name);
            }
            if (method != ZipEntry.STORED || compressedSize != size || uncompressedSize != size) {
                throw badWeightsHeader(headerOffset, "its local header says method " + method + ", sizes " + compressedSize + "/" + uncompressedSize
                        + ", but the zip directory says STORED, " + size + " bytes");
            }
            long dataOffset = headerOffset + LOCAL_HEADER_BYTES + nameLength + extraLength;
            if (dataOffset % Safetensors.ALIGNMENT != 0) {
                throw new ArtifactException(name + " starts at file offset " + dataOffset + ", which is not 64-byte aligned; "
                        + ArtifactException.RECOMPILE);
            }
            if (dataOffset + size > channel.size()) {
                throw badWeightsHeader(headerOffset, "its data runs past the end of the file");
            }
            file = channel.map(FileChannel.MapMode.READ_ONLY, dataOffset, size, arena);
        } catch (IOException e) {
            throw new ArtifactException("cannot map " + name + " (" + e + ")", e);
        }
        MessageDigest digest = Sha256.newDigest();
        Sha256.update(digest, file);
        if (!Sha256.hex(digest).equals(manifest.entrySha256().get(name))) {
            throw checksumMismatch(name);
        }
        Safetensors weights;
        try {
            weights = Safetensors.read(file);
        } catch (MalformedFileException e) {
            throw new ArtifactException(name + " is malformed: " + e.getMessage() + "; " + ArtifactException.RECOMPILE, e);
        }
        checkParams(manifest.params(), weights);
        return weights.data().asReadOnly();
    }

    private static ArtifactException badWeightsHeader(long offset, String problem) {
        return new ArtifactException("manifest.json places " + ArtifactWriter.WEIGHTS_ENTRY + " at file offset " + offset + ", but " + problem
                + "; " + ArtifactException.RECOMPILE);
    }

    /** The generated code reads parameter i at layout(params).get(i), so the file must hold exactly that layout. */
    private static void checkParams(List<TensorSpec> params, Safetensors weights) throws ArtifactException {
        List<Long> offsets = Safetensors.layout(params);
        List<Safetensors.Entry> entries = weights.entries();
        if (entries.size() != params.size()) {
            throw new ArtifactException(ArtifactWriter.WEIGHTS_ENTRY + " holds " + entries.size() + " tensors, the manifest declares "
                    + params.size() + " parameters; " + ArtifactException.RECOMPILE);
        }
        for (int i = 0; i < params.size(); i++) {
            Safetensors.Entry entry = entries.get(i);
            if (!entry.spec().equals(params.get(i)) || entry.offset() != offsets.get(i)) {
                throw new ArtifactException(ArtifactWriter.WEIGHTS_ENTRY + " holds " + entry.spec() + " at data offset " + entry.offset()
                        + " where the manifest expects " + params.get(i) + " at " + offsets.get(i) + "; " + ArtifactException.RECOMPILE);
            }
        }
    }

    /** Verifies every class, defines them all in a fresh loader, and instantiates the main class. */
    /** Checks the main class is there and every class passes the verifier; returns null (nothing is defined). */
    private static CompiledModel verifyClasses(Manifest manifest, Map<String, byte[]> classes) throws ArtifactException {
        if (!classes.containsKey(manifest.mainClass())) {
            throw new ArtifactException("the main class " + manifest.mainClass() + " is not in the artifact; " + ArtifactException.RECOMPILE);
        }
        ClassVerifier verifier = new ClassVerifier(manifest.packageName(), classes.keySet());
        for (Map.Entry<String, byte[]> cls : classes.entrySet()) {
            verifier.verify(cls.getKey(), cls.getValue());
        }
        String compiled = compiledLayout(classes.get(manifest.mainClass()));
        if (!manifest.layoutKey().equals(compiled)) {
            throw new ArtifactException("manifest.json's layout (" + manifest.layoutKey() + ") is not the one the generated code was compiled for ("
                    + (compiled == null ? "none stated" : compiled) + "): the manifest was edited; " + ArtifactException.RECOMPILE);
        }
        return null;
    }

    /** The main class's {@link Manifest#LAYOUT_FIELD} constant, read from the class file (nothing is defined), or null. */
    private static String compiledLayout(byte[] mainClass) {
        for (var field : java.lang.classfile.ClassFile.of().parse(mainClass).fields()) {
            if (!field.fieldName().equalsString(Manifest.LAYOUT_FIELD)) continue;
            return field.findAttribute(java.lang.classfile.Attributes.constantValue())
                    .map(a -> a.constant() instanceof java.lang.classfile.constantpool.StringEntry text ? text.stringValue() : null)
                    .orElse(null);
        }
        return null;
    }

    private static CompiledModel defineClasses(Manifest manifest, Map<String, byte[]> classes) throws ArtifactException {
        verifyClasses(manifest, classes);
        ArtifactClassLoader loader = new ArtifactClassLoader(manifest.modelName(), classes, NncModel.class.getClassLoader());
        String current = manifest.mainClass();
        try {
            for (String name : classes.keySet()) {
                current = name;
                Class.forName(name, true, loader);
            }
            current = manifest.mainClass();
            Class<?> main = Class.forName(current, true, loader);
            if (!CompiledModel.class.isAssignableFrom(main) || !Modifier.isPublic(main.getModifiers())) {
                throw new ArtifactException("main class " + current + " is not a public class implementing " + CompiledModel.class.getName()
                        + "; " + ArtifactException.RECOMPILE);
            }
            if (manifest.hasTraining() && !CompiledTrainer.class.isAssignableFrom(main)) {
                throw new ArtifactException("manifest.json declares a training entry point, but main class " + current + " does not implement "
                        + CompiledTrainer.class.getName() + "; " + ArtifactException.RECOMPILE);
            }
            return (CompiledModel) main.getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            throw new ArtifactException("class " + current + " could not be defined or instantiated (" + e + "); " + ArtifactException.RECOMPILE, e);
        }
    }

    /** Defines an artifact's classes and lets them see nothing beyond the allow-list. */
    private static final class ArtifactClassLoader extends ClassLoader {
        private final Map<String, byte[]> classes;

        ArtifactClassLoader(String modelName, Map<String, byte[]> classes, ClassLoader parent) {
            super("nnc-model-" + modelName, parent);
            this.classes = new LinkedHashMap<>(classes);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes = classes.get(name);
                    if (bytes != null) {
                        c = defineClass(name, bytes, 0, bytes.length);
                    } else if (ClassVerifier.isAllowedPlatformClass(name.replace('.', '/'))) {
                        c = getParent().loadClass(name);
                    } else {
                        throw new ClassNotFoundException(name + " is not available to generated code");
                    }
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}

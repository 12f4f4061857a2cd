package dev.nnc.runtime;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a {@code .nnc} artifact, the zip {@link NncModel#load} reads.
 *
 * <p>Entries, in this order: {@code weights.safetensors} first, STORED, with its data section 64-byte aligned in the
 * file (the local header's extra field is padded as Android's zipalign does, with header id {@code 0xD935}); the
 * generated classes as {@code classes/<binary/name>.class}; {@code model.ir}; and {@code manifest.json} last, with the
 * sha256 of every other entry and the file offset of the weights' local header filled in; then, for a signed artifact,
 * {@code signature.json} ({@link ArtifactSignature}). Timestamps are fixed, so the
 * same inputs give the same bytes. The file is written aside and renamed into place atomically. Stateless.
 */
public final class ArtifactWriter {

    /** The zip entry holding the manifest. */
    public static final String MANIFEST_ENTRY = "manifest.json";
    /** The zip entry holding the parameters. */
    public static final String WEIGHTS_ENTRY = "weights.safetensors";
    /** The zip entry holding the printed IR, for people. */
    public static final String IR_ENTRY = "model.ir";
    /** The OpenCL C program, when the model has one. */
    public static final String OPENCL_SOURCE_ENTRY = "opencl/kernels.cl";
    /** The OpenCL launch order. */
    public static final String OPENCL_LAUNCH_ENTRY = "opencl/launch.json";
    /** The folder of the generated classes inside the zip. */
    public static final String CLASSES_FOLDER = "classes/";

    private static final int ALIGNMENT = 64;
    private static final int LOCAL_HEADER_BYTES = 30;
    private static final short ALIGNMENT_EXTRA_ID = (short) 0xD935;
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);

    private ArtifactWriter() {
    }

    /** The zip entry name of the class with binary name {@code binaryName}. */
    public static String classEntryName(String binaryName) {
        return CLASSES_FOLDER + binaryName.replace('.', '/') + ".class";
    }

    /**
     * Writes the artifact to {@code out}.
     *
     * @param manifest   everything but the packaging facts, which are filled in here ({@code entrySha256} may be empty)
     * @param classFiles the generated classes, binary name to class-file bytes; must include {@code manifest.mainClass()}
     * @param params     the parameters; must equal {@code manifest.params()}
     * @param paramData  each parameter's elements, little-endian, exactly its byte size
     * @param irText     the printed IR stored as {@code model.ir}
     */
    public static void write(Path out, Manifest manifest, Map<String, byte[]> classFiles, List<TensorSpec> params,
                             List<MemorySegment> paramData, String irText) throws IOException {
        write(out, manifest, classFiles, params, paramData, irText, null);
    }

    /** Like the other {@code write}, with the OpenCL program ({@code kernels.cl}, {@code launch.json}) when {@code openCl} is not null. */
    public static void write(Path out, Manifest manifest, Map<String, byte[]> classFiles, List<TensorSpec> params,
                             List<MemorySegment> paramData, String irText, OpenClSchedule openCl) throws IOException {
        write(out, manifest, classFiles, params, paramData, irText, openCl, null);
    }

    /**
     * Like the other {@code write}, signed with {@code signer} when it is not null: {@link ArtifactSignature#ENTRY}
     * follows the manifest and holds an Ed25519 signature of its bytes.
     */
    public static void write(Path out, Manifest manifest, Map<String, byte[]> classFiles, List<TensorSpec> params,
                             List<MemorySegment> paramData, String irText, OpenClSchedule openCl, KeyPair signer) throws IOException {
        if (!params.equals(manifest.params())) {
            throw new IllegalArgumentException("params " + params + " differ from the manifest's " + manifest.params());
        }
        if (!classFiles.containsKey(manifest.mainClass())) {
            throw new IllegalArgumentException("no class file for the main class " + manifest.mainClass() + " among " + classFiles.keySet());
        }
        byte[] weightsHeader = Safetensors.header(params, paramData, Map.of("format", "pt", "nnc_model", manifest.modelName()));
        AtomicFiles.write(out, stream -> {
            CountingOutputStream counting = new CountingOutputStream(stream);
            ZipOutputStream zip = new ZipOutputStream(counting);
            Map<String, String> sha = new LinkedHashMap<>();
            long weightsOffset = counting.count;
            sha.put(WEIGHTS_ENTRY, writeWeights(zip, counting, weightsHeader, paramData));
            for (Map.Entry<String, byte[]> cls : new TreeMap<>(classFiles).entrySet()) {
                String name = classEntryName(cls.getKey());
                writeDeflated(zip, name, cls.getValue());
                sha.put(name, Sha256.of(cls.getValue()));
            }
            byte[] ir = irText.getBytes(StandardCharsets.UTF_8);
            writeDeflated(zip, IR_ENTRY, ir);
            sha.put(IR_ENTRY, Sha256.of(ir));
            if (openCl != null) {
                byte[] source = openCl.source().getBytes(StandardCharsets.UTF_8);
                byte[] launches = openCl.launchJson().getBytes(StandardCharsets.UTF_8);
                writeDeflated(zip, OPENCL_SOURCE_ENTRY, source);
                sha.put(OPENCL_SOURCE_ENTRY, Sha256.of(source));
                writeDeflated(zip, OPENCL_LAUNCH_ENTRY, launches);
                sha.put(OPENCL_LAUNCH_ENTRY, Sha256.of(launches));
            }
            byte[] manifestBytes = manifest.withPackaging(sha, weightsOffset).toJson().getBytes(StandardCharsets.UTF_8);
            writeDeflated(zip, MANIFEST_ENTRY, manifestBytes);
            if (signer != null) {
                writeDeflated(zip, ArtifactSignature.ENTRY, ArtifactSignature.sign(manifestBytes, signer.getPrivate(), signer.getPublic()));
            }
            zip.finish();
        });
    }

    /** Writes the STORED weights entry with its data 64-byte aligned in the file; returns its sha256. */
    private static String writeWeights(ZipOutputStream zip, CountingOutputStream counting, byte[] header, List<MemorySegment> data)
            throws IOException {
        CRC32 crc = new CRC32();
        MessageDigest digest = Sha256.newDigest();
        crc.update(header);
        digest.update(header);
        long size = header.length;
        OutputStream checksums = new CheckedOutputStream(new DigestOutputStream(OutputStream.nullOutputStream(), digest), crc);
        for (MemorySegment segment : data) {
            Safetensors.copy(segment, checksums);
            size += segment.byteSize();
        }
        ZipEntry entry = new ZipEntry(WEIGHTS_ENTRY);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(size);
        entry.setCompressedSize(size);
        entry.setCrc(crc.getValue());
        entry.setTimeLocal(ENTRY_TIME);
        int nameBytes = WEIGHTS_ENTRY.getBytes(StandardCharsets.UTF_8).length;
        long unpaddedStart = counting.count + LOCAL_HEADER_BYTES + nameBytes + 4;
        int padding = (int) Math.floorMod(-unpaddedStart, (long) ALIGNMENT);
        ByteBuffer extra = ByteBuffer.allocate(4 + padding).order(ByteOrder.LITTLE_ENDIAN);
        extra.putShort(ALIGNMENT_EXTRA_ID).putShort((short) padding);
        entry.setExtra(extra.array());
        zip.putNextEntry(entry);
        if (counting.count != unpaddedStart + padding) {
            throw new IllegalStateException("zip local header of " + WEIGHTS_ENTRY + " ended at " + counting.count + ", expected "
                    + (unpaddedStart + padding));
        }
        zip.write(header);
        for (MemorySegment segment : data) {
            Safetensors.copy(segment, zip);
        }
        zip.closeEntry();
        return Sha256.hex(digest);
    }

    private static void writeDeflated(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.DEFLATED);
        entry.setTimeLocal(ENTRY_TIME);
        zip.putNextEntry(entry);
        zip.write(bytes);
        zip.closeEntry();
    }

    /** Counts the bytes that pass through, so the writer knows each entry's file offset. */
    private static final class CountingOutputStream extends FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}

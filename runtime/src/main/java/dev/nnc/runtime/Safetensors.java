package dev.nnc.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes the safetensors format, the one place in nnc that knows its byte layout.
 *
 * <p>A file is an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON
 * ({@code {"name":{"dtype":"F32","shape":[..],"data_offsets":[begin,end]}, ..., "__metadata__":{...}}}), then the
 * data section; offsets are relative to the data start and the tensors tile the data section with no holes and no
 * overlap. nnc reads and writes {@code F32} and {@code I32} only. {@link #write} pads the header with spaces so the
 * data section starts at a multiple of {@value #ALIGNMENT} bytes, and places tensors exactly at {@link #layout}.
 *
 * <p>An instance is an immutable view of a parsed file; its segments live as long as the segment or arena it was
 * read from. Safe to share between threads if that segment is.
 */
public final class Safetensors {

    /** The data section of a written file starts at a multiple of this many bytes. */
    public static final int ALIGNMENT = 64;

    /** The largest header {@link #read} accepts, as the reference implementation does. */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final String METADATA_KEY = "__metadata__";
    private static final ValueLayout.OfLong LENGTH = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor of a file: its spec, and where its bytes sit relative to the data section's start. */
    public record Entry(TensorSpec spec, long offset, long byteLength) {
        public Entry {
            Objects.requireNonNull(spec, "spec");
            if (offset < 0 || byteLength < 0) {
                throw new IllegalArgumentException("negative offset or length for " + spec);
            }
        }

        public String name() {
            return spec.name();
        }

        public DType dtype() {
            return spec.dtype();
        }

        public long[] shape() {
            return spec.shape();
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final Map<String, String> metadata;
    private final MemorySegment data;
    private final long dataStart;

    private Safetensors(List<Entry> entries, Map<String, String> metadata, MemorySegment data, long dataStart) {
        this.entries = List.copyOf(entries);
        this.byName = new LinkedHashMap<>();
        for (Entry e : entries) {
            byName.put(e.name(), e);
        }
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.data = data;
        this.dataStart = dataStart;
    }

    /** The tensors in file order (increasing offset). */
    public List<Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} map, empty if the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The data section: a slice of the segment the file was read from. */
    public MemorySegment data() {
        return data;
    }

    /** Where the data section starts, in bytes from the start of the file (8 + header length). */
    public long dataStart() {
        return dataStart;
    }

    /** The bytes of tensor {@code name}, a slice of {@link #data()}; IllegalArgumentException if there is none. */
    public MemorySegment tensor(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in this safetensors file (tensors: " + byName.keySet() + ")");
        }
        return data.asSlice(e.offset(), e.byteLength());
    }

    /**
     * Memory-maps {@code path} read-only into {@code arena} and parses it; the result is valid until the arena closes,
     * which the caller owns.
     */
    public static Safetensors read(Path path, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena));
        }
    }

    /** Memory-maps {@code path} read-only into an automatic arena: the mapping is released once the result is unreachable. */
    public static Safetensors read(Path path) throws IOException {
        return read(path, Arena.ofAuto());
    }

    /** Parses and validates the safetensors bytes in {@code file}; nothing is copied. */
    public static Safetensors read(MemorySegment file) throws MalformedFileException {
        long size = file.byteSize();
        if (size < Long.BYTES) {
            throw new MalformedFileException("safetensors file is " + size + " bytes, shorter than its 8-byte header length");
        }
        long headerLength = file.get(LENGTH, 0);
        if (headerLength < 2 || headerLength > size - Long.BYTES) {
            throw new MalformedFileException("safetensors header length " + headerLength + " does not fit the file ("
                    + (size - Long.BYTES) + " bytes follow the length field)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new MalformedFileException("safetensors header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        byte[] headerBytes = file.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFileException("safetensors header is not valid UTF-8");
        }
        Object json;
        try {
            json = Json.parse(headerText);
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException("safetensors header is not valid JSON: " + e.getMessage());
        }
        if (!(json instanceof Map<?, ?> header)) {
            throw new MalformedFileException("safetensors header must be a JSON object, got " + Json.typeName(json));
        }
        long dataStart = Long.BYTES + headerLength;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> field : header.entrySet()) {
            String name = (String) field.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata.putAll(readMetadata(field.getValue()));
            } else {
                entries.add(readEntry(name, field.getValue(), dataSize));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::offset).thenComparingLong(Entry::byteLength));
        checkTiling(entries, dataSize);
        return new Safetensors(entries, metadata, file.asSlice(dataStart, dataSize), dataStart);
    }

    private static Map<String, String> readMetadata(Object value) throws MalformedFileException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new MalformedFileException("safetensors " + METADATA_KEY + " must be an object, got " + Json.typeName(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new MalformedFileException("safetensors " + METADATA_KEY + " value for '" + e.getKey() + "' must be a string, got "
                        + Json.typeName(e.getValue()));
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static Entry readEntry(String name, Object value, long dataSize) throws MalformedFileException {
        String where = "safetensors tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> fields)) {
            throw new MalformedFileException(where + " must be an object, got " + Json.typeName(value));
        }
        Set<Object> unknown = new HashSet<>(fields.keySet());
        unknown.removeAll(Set.of("dtype", "shape", "data_offsets"));
        if (!unknown.isEmpty()) {
            throw new MalformedFileException(where + " has unknown fields " + unknown);
        }
        if (!(fields.get("dtype") instanceof String dtypeName)) {
            throw new MalformedFileException(where + " needs a string \"dtype\", got " + Json.typeName(fields.get("dtype")));
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensorsName(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new MalformedFileException(where + " has " + e.getMessage());
        }
        long[] shape = longs(fields.get("shape"), where, "shape", -1);
        long[] offsets = longs(fields.get("data_offsets"), where, "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new MalformedFileException(where + " has data_offsets [" + begin + ", " + end + "] outside the data section of "
                    + dataSize + " bytes");
        }
        TensorSpec spec;
        long needed;
        try {
            spec = new TensorSpec(name, dtype, shape);
            needed = spec.byteSize(1);
        } catch (ArithmeticException e) {
            throw new MalformedFileException(where + " has a shape " + Arrays.toString(shape) + " too large to address");
        }
        if (end - begin != needed) {
            throw new MalformedFileException(where + " has data_offsets [" + begin + ", " + end + "] spanning " + (end - begin)
                    + " bytes, but " + spec.typeString() + " needs " + needed);
        }
        return new Entry(spec, begin, end - begin);
    }

    private static long[] longs(Object value, String where, String field, int requiredLength) throws MalformedFileException {
        if (!(value instanceof List<?> list) || (requiredLength >= 0 && list.size() != requiredLength)) {
            String what = requiredLength >= 0 ? "an array of " + requiredLength + " non-negative integers" : "an array of non-negative integers";
            throw new MalformedFileException(where + " needs \"" + field + "\" as " + what + ", got " + (value instanceof List<?> ? value : Json.typeName(value)));
        }
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw new MalformedFileException(where + " has a bad \"" + field + "\" entry " + list.get(i) + " (need a non-negative integer)");
            }
            result[i] = v;
        }
        return result;
    }

    private static void checkTiling(List<Entry> sorted, long dataSize) throws MalformedFileException {
        long next = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.offset() < next) {
                throw new MalformedFileException("safetensors tensor '" + e.name() + "' overlaps tensor '" + previous + "'");
            }
            if (e.offset() > next) {
                throw new MalformedFileException("safetensors data has a hole of " + (e.offset() - next) + " bytes before tensor '" + e.name() + "'");
            }
            next = e.offset() + e.byteLength();
            previous = e.name();
        }
        if (next != dataSize) {
            throw new MalformedFileException("safetensors data section has " + (dataSize - next) + " bytes after the last tensor that no tensor covers");
        }
    }

    /** The byte offsets, relative to the data start, at which {@link #write} places {@code specs}: contiguous, in list order. */
    public static List<Long> layout(List<TensorSpec> specs) {
        List<Long> offsets = new ArrayList<>(specs.size());
        long next = 0;
        for (TensorSpec spec : specs) {
            requireConcrete(spec);
            offsets.add(next);
            next = Math.addExact(next, spec.byteSize(1));
        }
        return List.copyOf(offsets);
    }

    /** The bytes of the data section {@link #layout} gives {@code specs}. */
    public static long dataBytes(List<TensorSpec> specs) {
        long bytes = 0;
        for (TensorSpec spec : specs) {
            requireConcrete(spec);
            bytes = Math.addExact(bytes, spec.byteSize(1));
        }
        return bytes;
    }

    /**
     * Writes a safetensors file: header (padded with spaces so the data starts at a multiple of {@value #ALIGNMENT}
     * bytes from the start of these bytes), then each tensor's bytes at its {@link #layout} offset. {@code data.get(i)}
     * holds tensor {@code i}'s elements in little-endian order and must be exactly {@code specs.get(i)}'s byte size.
     * Does not close {@code out}.
     */
    public static void write(OutputStream out, List<TensorSpec> specs, List<MemorySegment> data, Map<String, String> metadata)
            throws IOException {
        out.write(header(specs, data, metadata));
        for (MemorySegment segment : data) {
            copy(segment, out);
        }
    }

    /** {@link #write(OutputStream, List, List, Map)} to a file, written aside and renamed into place atomically. */
    public static void write(Path path, List<TensorSpec> specs, List<MemorySegment> data, Map<String, String> metadata) throws IOException {
        header(specs, data, metadata);
        AtomicFiles.write(path, out -> write(out, specs, data, metadata));
    }

    /** The length field, the JSON header and its padding: everything before the data section. Validates the arguments. */
    static byte[] header(List<TensorSpec> specs, List<MemorySegment> data, Map<String, String> metadata) {
        if (specs.size() != data.size()) {
            throw new IllegalArgumentException(specs.size() + " tensor specs but " + data.size() + " data segments");
        }
        List<Long> offsets = layout(specs);
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put(METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec spec = specs.get(i);
            long bytes = spec.byteSize(1);
            if (data.get(i).byteSize() != bytes) {
                throw new IllegalArgumentException("tensor " + spec + " needs " + bytes + " bytes, its data segment has " + data.get(i).byteSize());
            }
            if (spec.name().equals(METADATA_KEY) || header.containsKey(spec.name())) {
                throw new IllegalArgumentException("tensor name '" + spec.name() + "' is reserved or used twice");
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("dtype", spec.dtype().safetensorsName());
            fields.put("shape", Arrays.stream(spec.shape()).boxed().toList());
            fields.put("data_offsets", List.of(offsets.get(i), offsets.get(i) + bytes));
            header.put(spec.name(), fields);
        }
        byte[] json = Json.writeCompact(header).getBytes(StandardCharsets.UTF_8);
        int padded = json.length + Math.floorMod(-(Long.BYTES + json.length), ALIGNMENT);
        byte[] result = new byte[Long.BYTES + padded];
        ByteBuffer.wrap(result).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).put(json);
        Arrays.fill(result, Long.BYTES + json.length, result.length, (byte) ' ');
        return result;
    }

    /** Copies a segment's bytes to a stream in chunks. */
    static void copy(MemorySegment segment, OutputStream out) throws IOException {
        byte[] chunk = new byte[(int) Math.min(1 << 16, Math.max(1, segment.byteSize()))];
        for (long pos = 0; pos < segment.byteSize(); pos += chunk.length) {
            int n = (int) Math.min(chunk.length, segment.byteSize() - pos);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, pos, chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    private static void requireConcrete(TensorSpec spec) {
        if (spec.isBatched()) {
            throw new IllegalArgumentException("a stored tensor needs a concrete shape, " + spec + " has the batch dim B");
        }
    }
}

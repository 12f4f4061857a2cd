package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    private static final List<TensorSpec> SPECS = List.of(
            TensorSpec.of("w", DType.F32, 2, 3),
            TensorSpec.of("idx", DType.I32, 5),
            TensorSpec.of("b", DType.F32, 3));

    @TempDir
    Path dir;

    @Test
    void writeThenReadRoundTripsAtTheLayoutOffsets() throws IOException {
        byte[] file = write(Map.of("source", "test"));
        Safetensors st = Safetensors.read(MemorySegment.ofArray(file));
        assertEquals(0, st.dataStart() % Safetensors.ALIGNMENT, "data section alignment");
        assertEquals(List.of(0L, 24L, 44L), Safetensors.layout(SPECS));
        assertEquals(Safetensors.layout(SPECS), st.entries().stream().map(Safetensors.Entry::offset).toList());
        assertEquals(SPECS, st.entries().stream().map(Safetensors.Entry::spec).toList());
        assertEquals(Map.of("source", "test"), st.metadata());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, st.tensor("w").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
        assertArrayEquals(new int[] {-1, 0, 1, 2, 1 << 30}, st.tensor("idx").toArray(ValueLayout.JAVA_INT_UNALIGNED));
        assertArrayEquals(new float[] {-0.5f, 0f, 0.5f}, st.tensor("b").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
        assertEquals(56, st.data().byteSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.tensor("nope"));
        assertEquals("no tensor 'nope' in this safetensors file (tensors: [w, idx, b])", e.getMessage());
    }

    @Test
    void writesAFileAtomicallyAndMapsIt() throws IOException {
        Path path = dir.resolve("p.safetensors");
        Safetensors.write(path, SPECS, data(), Map.of());
        try (Arena arena = Arena.ofConfined()) {
            Safetensors st = Safetensors.read(path, arena);
            assertTrue(st.data().isMapped());
            assertArrayEquals(new float[] {-0.5f, 0f, 0.5f}, st.tensor("b").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
        }
        assertEquals(1, java.nio.file.Files.list(dir).count(), "no temporary file left behind");
    }

    @Test
    void refusesCorruptFiles() {
        assertMalformed(new byte[4], "safetensors file is 4 bytes, shorter than its 8-byte header length");
        byte[] tooLong = new byte[16];
        ByteBuffer.wrap(tooLong).order(ByteOrder.LITTLE_ENDIAN).putLong(100);
        assertMalformed(tooLong, "safetensors header length 100 does not fit the file (8 bytes follow the length field)");
        assertMalformed(file("[1]", 0), "safetensors header must be a JSON object, got an array");
        assertMalformed(file("{\"a\":", 0), "safetensors header is not valid JSON: JSON error at offset 5: unexpected end of input, expected a value");
        assertMalformed(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
                "safetensors tensor 'a' has unsupported dtype 'F16' (supported: F32, I32)");
        assertMalformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8),
                "safetensors tensor 'a' has data_offsets [0, 16] outside the data section of 8 bytes");
        assertMalformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
                "safetensors tensor 'a' has data_offsets [0, 8] spanning 8 bytes, but f32[3] needs 12");
        assertMalformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "safetensors data has a hole of 4 bytes before tensor 'a'");
        assertMalformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "safetensors tensor 'b' overlaps tensor 'a'");
        assertMalformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8),
                "safetensors data section has 4 bytes after the last tensor that no tensor covers");
        assertMalformed(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "safetensors tensor 'a' has a bad \"shape\" entry -1 (need a non-negative integer)");
        assertMalformed(file("{\"__metadata__\":{\"k\":1}}", 0), "safetensors __metadata__ value for 'k' must be a string, got an integer");
    }

    @Test
    void refusesMismatchedWriteArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(new ByteArrayOutputStream(), SPECS, data().subList(0, 2), Map.of()));
        assertEquals("3 tensor specs but 2 data segments", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Safetensors.layout(List.of(TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 2))));
        assertEquals("a stored tensor needs a concrete shape, x: f32[B, 2] has the batch dim B", e.getMessage());
    }

    private static byte[] write(Map<String, String> metadata) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Safetensors.write(out, SPECS, data(), metadata);
        return out.toByteArray();
    }

    private static List<MemorySegment> data() {
        return List.of(
                MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6}),
                MemorySegment.ofArray(new int[] {-1, 0, 1, 2, 1 << 30}),
                MemorySegment.ofArray(new float[] {-0.5f, 0f, 0.5f}));
    }

    /** A safetensors file with this header text and {@code dataBytes} zero bytes of data. */
    private static byte[] file(String header, int dataBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json).array();
    }

    private static void assertMalformed(byte[] file, String message) {
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> Safetensors.read(MemorySegment.ofArray(file)));
        assertEquals(message, e.getMessage());
    }
}

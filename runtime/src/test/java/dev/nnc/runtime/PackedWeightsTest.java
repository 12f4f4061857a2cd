package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.kernels.Gemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The manifest's packed weights: a copy must name an f32 parameter of k·n elements and lie, aligned, after the
 * parameters without overlapping another; the JSON form round-trips; the loader's copy is {@link Gemm#packB}'s.
 */
class PackedWeightsTest {

    private static final TensorSpec W = TensorSpec.of("fc1.weight", DType.F32, 3, 4);   // [out, in]: k = 4, n = 3
    private static final TensorSpec B = TensorSpec.of("fc1.bias", DType.F32, 3);
    private static final long PARAM_BYTES = 4 * (12 + 3);

    private static Manifest manifest(List<Manifest.PackedWeight> packed) {
        TensorSpec x = TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 4);
        TensorSpec y = TensorSpec.of("y", DType.F32, TensorSpec.BATCH, 3);
        return new Manifest(Manifest.FORMAT_VERSION, "0.1.0-test", Map.of(), "Dense", "dense.nn", "00", "nnc.gen.Dense", 2, 128,
                List.of(x), List.of(0L), List.of(y), List.of(64L), List.of(W, B), Map.of(), 0, null, packed);
    }

    @Test
    void acceptsACopyAfterTheParametersAndRoundTripsThroughJson() throws ArtifactException {
        Manifest m = manifest(List.of(new Manifest.PackedWeight("fc1.weight", true, 4, 3, 64)));
        assertEquals(64 + 4 * Gemm.packedBFloats(4, 3), m.runWeightsBytes());
        assertEquals(m.packedWeights(), Manifest.fromJson(m.toJson()).packedWeights());
        assertEquals(PARAM_BYTES, manifest(List.of()).runWeightsBytes());
    }

    @Test
    void refusesCopiesThatNameNoParameterDoNotFitItOrOverlap() {
        assertThrows(IllegalArgumentException.class, () -> manifest(List.of(new Manifest.PackedWeight("fc2.weight", true, 4, 3, 64))));
        assertThrows(IllegalArgumentException.class, () -> manifest(List.of(new Manifest.PackedWeight("fc1.weight", true, 4, 4, 64))));
        assertThrows(IllegalArgumentException.class, () -> manifest(List.of(new Manifest.PackedWeight("fc1.weight", true, 4, 3, 0))));
        assertThrows(IllegalArgumentException.class, () -> new Manifest.PackedWeight("fc1.weight", true, 4, 3, 65));
        Manifest.PackedWeight first = new Manifest.PackedWeight("fc1.weight", true, 4, 3, 64);
        assertThrows(IllegalArgumentException.class, () -> manifest(List.of(first, new Manifest.PackedWeight("fc1.weight", false, 4, 3, 128))));
    }

    @Test
    void refusesAHostilePackedWeightInJsonWithAnArtifactException() {
        String json = manifest(List.of(new Manifest.PackedWeight("fc1.weight", true, 4, 3, 64))).toJson()
                .replace("\"offset\": 64", "\"offset\": 8");
        ArtifactException e = assertThrows(ArtifactException.class, () -> Manifest.fromJson(json));
        assertTrue(e.getMessage().contains("packed weight"), e.getMessage());
    }

    @Test
    void prepareCopiesTheParametersAndPacksEachCopy() {
        Manifest m = manifest(List.of(new Manifest.PackedWeight("fc1.weight", true, 4, 3, 64)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAM_BYTES, 64);
            for (int i = 0; i < 15; i++) params.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 1);
            MemorySegment run = arena.allocate(m.runWeightsBytes(), 64);
            PackedWeights.prepare(m, params, run);
            for (int i = 0; i < 15; i++) assertEquals(i + 1, run.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            MemorySegment expected = arena.allocate(4 * Gemm.packedBFloats(4, 3), 64);
            Gemm.packB(true, 4, 3, params, 0, 4, expected, 0);
            assertEquals(-1, expected.mismatch(run.asSlice(64)));
            // B(p, j) = weight[j, p]: B(1, 2) = weight[2, 1] = 10, at panel 0, row 1, column 2
            assertEquals(10f, run.getAtIndex(ValueLayout.JAVA_FLOAT, 16 + 16 + 2));
        }
    }
}

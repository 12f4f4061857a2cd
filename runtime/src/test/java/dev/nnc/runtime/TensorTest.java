package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void aShapeWhoseSizeOverflowsIsAnIllegalArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[4], 1L << 40, 1L << 40));
        assertEquals("shape [1099511627776, 1099511627776] has more than 2^63 - 1 elements", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 1L << 40, 1L << 40));
    }

    @Test
    void holdsACopyWithItsShape() {
        float[] data = {0, 1, 2, 3, 4, 5};
        Tensor t = Tensor.of(data, 2, 3);
        data[0] = 99;
        assertEquals("Tensor f32[2, 3]", t.toString());
        assertEquals(6, t.size());
        assertEquals(0f, t.getFloat(0, 0), 0f);
        assertEquals(5f, t.getFloat(1, 2), 0f);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toFloatArray(), 0f);
        t.shape()[0] = 7;
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertThrows(IllegalArgumentException.class, () -> t.segment().set(ValueLayout.JAVA_FLOAT, 0, 1f));
    }

    @Test
    void refusesWrongLengthsIndicesAndTypes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertEquals("data has 5 elements, shape [2, 3] needs 6", e.getMessage());
        Tensor ints = Tensor.ofInts(new int[] {1, 2}, 2);
        assertEquals(2, ints.getInt(1));
        assertThrows(IndexOutOfBoundsException.class, () -> ints.getInt(2));
        IllegalStateException s = assertThrows(IllegalStateException.class, ints::toFloatArray);
        assertEquals("toFloatArray needs a f32 tensor, this is Tensor i32[2]", s.getMessage());
    }

    @Test
    void specsPrintAndCompareByValue() {
        TensorSpec spec = TensorSpec.of("x", DType.F32, TensorSpec.BATCH, 784);
        assertEquals("x: f32[B, 784]", spec.toString());
        assertEquals(TensorSpec.of("x", DType.F32, -1, 784), spec);
        assertEquals(spec, TensorSpec.fromJson(Json.parse("{\"name\":\"x\",\"dtype\":\"f32\",\"shape\":[\"B\",784]}")));
        assertEquals(Json.parse("{\"name\":\"x\",\"dtype\":\"f32\",\"shape\":[\"B\",784]}"), spec.toJson());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("y", DType.I32, 2, TensorSpec.BATCH));
        assertEquals("tensor y: the batch dim B may only be axis 0, found at axis 1", e.getMessage());
    }
}

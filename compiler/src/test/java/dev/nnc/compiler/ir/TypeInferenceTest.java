package dev.nnc.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Result types of ops, and the messages for operands that do not fit. */
class TypeInferenceTest {

    private static Value v(String name, long... dims) {
        return new Value(name, TensorType.f32(Shape.of(dims)));
    }

    @Test
    void broadcastingFollowsNumPy() {
        assertEquals(Shape.of(-1, 10), TypeInference.broadcast("add", Shape.of(-1, 10), Shape.of(10)));
        assertEquals(Shape.of(-1, 4, 5, 5), TypeInference.broadcast("add", Shape.of(-1, 4, 5, 5), Shape.of(4, 1, 1)));
        assertEquals(Shape.of(-1, 10), TypeInference.broadcast("add", Shape.of(-1, 1), Shape.of(1, 10)));
        assertEquals(Shape.of(-1, 10), TypeInference.broadcast("add", Shape.of(), Shape.of(-1, 10)));
        TypeError e = assertThrows(TypeError.class, () -> TypeInference.broadcast("add", Shape.of(-1, 10), Shape.of(-1, 9)));
        assertEquals("add cannot broadcast [B, 10] with [B, 9] (dimension 10 vs 9)", e.getMessage());
    }

    @Test
    void broadcastingMayNotMoveTheBatchInward() {
        TypeError e = assertThrows(TypeError.class, () -> TypeInference.broadcast("mul", Shape.of(-1, 3), Shape.of(2, 1, 1)));
        assertEquals("mul of [B, 3] and [2, 1, 1] would move the batch dimension B away from the front", e.getMessage());
    }

    @Test
    void matmulHonoursTransposes() {
        assertEquals(Shape.of(-1, 128), TypeInference.infer(new Op.MatMul(v("x", -1, 784), v("w", 128, 784), false, true)).shape());
        assertEquals(Shape.of(784, 128), TypeInference.infer(new Op.MatMul(v("x", -1, 784), v("g", -1, 128), true, false)).shape());
        TypeError e = assertThrows(TypeError.class, () -> TypeInference.infer(new Op.MatMul(v("x", -1, 784), v("w", 128, 783), false, true)));
        assertEquals("matmul inner dimensions differ: f32[B, 784] · f32[128, 783]ᵀ (784 vs 783)", e.getMessage());
    }

    @Test
    void convolutionAndPoolingSizes() {
        assertEquals(Shape.of(-1, 6, 28, 28), TypeInference.infer(new Op.Conv2d(v("x", -1, 1, 28, 28), v("w", 6, 1, 5, 5), 1, 1, 2, 2)).shape());
        assertEquals(Shape.of(-1, 4, 6, 6), TypeInference.infer(new Op.Conv2d(v("x", -1, 3, 12, 12), v("w", 4, 3, 3, 3), 2, 2, 1, 1)).shape());
        assertEquals(Shape.of(-1, 6, 14, 14), TypeInference.infer(new Op.Pool2d(Op.PoolKind.MAX, v("x", -1, 6, 28, 28), 2, 2, 2, 2, 0, 0)).shape());
        TypeError e = assertThrows(TypeError.class, () -> TypeInference.infer(new Op.Conv2d(v("x", -1, 2, 4, 4), v("w", 6, 2, 5, 5), 1, 1, 0, 0)));
        assertEquals("conv2d window 5 is larger than the padded input 4", e.getMessage());
        TypeError channels = assertThrows(TypeError.class, () -> TypeInference.infer(new Op.Conv2d(v("x", -1, 3, 8, 8), v("w", 6, 2, 3, 3), 1, 1, 0, 0)));
        assertEquals("conv2d input has 3 channels but the weight expects 2", channels.getMessage());
    }

    @Test
    void reshapeKeepsElementsPerBatch() {
        assertEquals(Shape.of(-1, 400), TypeInference.infer(new Op.Reshape(v("x", -1, 16, 5, 5), Shape.of(-1, 400))).shape());
        Shape scaled = new Shape(List.of(Dim.batch(16), Dim.of(25)));
        assertEquals(scaled, TypeInference.infer(new Op.Reshape(v("x", -1, 16, 5, 5), scaled)).shape());
        assertThrows(TypeError.class, () -> TypeInference.infer(new Op.Reshape(v("x", -1, 16, 5, 5), Shape.of(400))));
    }

    @Test
    void reductionKeepsTheAxis() {
        assertEquals(Shape.of(-1, 1), TypeInference.infer(new Op.Reduce(Op.ReduceKind.MAX, v("x", -1, 10), 1)).shape());
        assertEquals(Shape.of(1, 10), TypeInference.infer(new Op.Reduce(Op.ReduceKind.SUM, v("x", -1, 10), 0)).shape());
        assertThrows(TypeError.class, () -> TypeInference.infer(new Op.Reduce(Op.ReduceKind.SUM, v("x", -1, 10), 2)));
    }

    @Test
    void batchOnlyLeads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(3, -1));
        assertEquals("the batch dimension B may only be the leading dimension, got [3, B]", e.getMessage());
    }
}

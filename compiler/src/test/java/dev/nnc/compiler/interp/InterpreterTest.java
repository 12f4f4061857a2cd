package dev.nnc.compiler.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The reference interpreter on cases small enough to check by hand. */
class InterpreterTest {

    private static NdArray eval(TensorType in, double[] x, BiFunction<GraphBuilder, Value, Value> build) {
        return eval(in, x, build, Map.of());
    }

    private static NdArray eval(TensorType in, double[] x, BiFunction<GraphBuilder, Value, Value> build, Map<String, NdArray> params) {
        GraphBuilder b = new GraphBuilder("T", 8);
        Value input = b.input("x", in);
        b.output("y", build.apply(b, input));
        long[] shape = in.shape().sizes((int) (x.length / in.shape().perBatch()));
        return Interpreter.run(b.build(), Map.of("x", new NdArray(shape, x)), params).get("y");
    }

    @Test
    void dense() {
        TensorType in = TensorType.f32(Shape.of(-1, 2));
        NdArray w = new NdArray(new long[] {3, 2}, new double[] {1, 2, 3, 4, 5, 6});
        NdArray y = eval(in, new double[] {1, -1, 2, 0.5}, (b, x) -> {
            Value wv = b.param("w", TensorType.f32(Shape.of(3, 2)), Init.zeros());
            return b.add(new Op.MatMul(x, wv, false, true), "y");
        }, Map.of("w", w));
        assertArrayEquals(new long[] {2, 3}, y.shape());
        assertArrayEquals(new double[] {-1, -1, -1, 3, 8, 13}, y.data());
    }

    @Test
    void broadcastAddOfRowAndColumn() {
        TensorType in = TensorType.f32(Shape.of(-1, 3));
        NdArray y = eval(in, new double[] {1, 2, 3, 4, 5, 6}, (b, x) -> {
            Value rowMax = b.add(new Op.Reduce(Op.ReduceKind.MAX, x, 1), "m");
            return b.add(new Op.Binary(Op.BinaryKind.SUB, x, rowMax), "y");
        });
        assertArrayEquals(new double[] {-2, -1, 0, -2, -1, 0}, y.data());
    }

    @Test
    void softmaxOfEqualLogitsIsUniform() {
        TensorType in = TensorType.f32(Shape.of(-1, 4));
        NdArray y = eval(in, new double[] {1000, 1000, 1000, 1000}, (b, x) -> {
            Value m = b.add(new Op.Reduce(Op.ReduceKind.MAX, x, 1), "m");
            Value e = b.add(new Op.Unary(Op.UnaryKind.EXP, b.add(new Op.Binary(Op.BinaryKind.SUB, x, m), "s")), "e");
            return b.add(new Op.Binary(Op.BinaryKind.DIV, e, b.add(new Op.Reduce(Op.ReduceKind.SUM, e, 1), "z")), "y");
        });
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, y.data());
    }

    @Test
    void convolutionWithPadding() {
        TensorType in = TensorType.f32(Shape.of(-1, 1, 2, 2));
        NdArray ones = new NdArray(new long[] {1, 1, 3, 3}, new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1});
        NdArray y = eval(in, new double[] {1, 2, 3, 4}, (b, x) -> {
            Value w = b.param("w", TensorType.f32(Shape.of(1, 1, 3, 3)), Init.zeros());
            return b.add(new Op.Conv2d(x, w, 1, 1, 1, 1), "y");
        }, Map.of("w", ones));
        // every output sees the whole 2×2 input through the padded 3×3 window
        assertArrayEquals(new double[] {10, 10, 10, 10}, y.data());
    }

    @Test
    void poolingCountsPaddingInTheAverage() {
        TensorType in = TensorType.f32(Shape.of(-1, 1, 2, 2));
        NdArray avg = eval(in, new double[] {1, 2, 3, 4}, (b, x) -> b.add(new Op.Pool2d(Op.PoolKind.AVG, x, 2, 2, 2, 2, 1, 1), "y"));
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1}, avg.data());
        NdArray max = eval(in, new double[] {1, 2, 3, 4}, (b, x) -> b.add(new Op.Pool2d(Op.PoolKind.MAX, x, 2, 2, 1, 1, 0, 0), "y"));
        assertArrayEquals(new double[] {4}, max.data());
    }

    @Test
    void activations() {
        TensorType in = TensorType.f32(Shape.of(-1, 3));
        double[] x = {-1, 0, 2};
        assertArrayEquals(new double[] {0, 0, 2}, eval(in, x, (b, v) -> b.add(new Op.Unary(Op.UnaryKind.RELU, v), "y")).data());
        double[] s = eval(in, x, (b, v) -> b.add(new Op.Unary(Op.UnaryKind.SIGMOID, v), "y")).data();
        assertEquals(0.5, s[1]);
        assertEquals(1 / (1 + Math.exp(1)), s[0], 1e-15);
        double[] g = eval(in, x, (b, v) -> b.add(new Op.Unary(Op.UnaryKind.GELU, v), "y")).data();
        assertEquals(-0.15865525393145707, g[0], 1e-15); // −Φ(−1)
        assertEquals(1.9544997361036416, g[2], 1e-15); // 2·Φ(2)
    }
}

package dev.nnc.compiler.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Op.BinaryKind;
import dev.nnc.compiler.ir.Op.UnaryKind;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gradient rule against central finite differences on the reference interpreter, in float64.
 * Each case builds {@code y = op(w…)} from weights, and the loss {@code Σ y ⊙ r} with a fixed random {@code r}
 * (so every output element gets a different upstream gradient). The autodiff gradient of each weight must
 * match {@code (L(w + h) − L(w − h)) / 2h} with h = 1e-6: the truncation error is O(h²·L''') ≈ 1e-12 and the
 * rounding error O(ε·|L|/h) ≈ 1e-10 for |L| ≲ 10², so 1e-6 relative to the gradient's scale is a safe bound
 * that still catches any wrong rule (those are off by O(1)).
 */
class GradientCheckTest {

    private static final double H = 1e-6;
    private static final double TOLERANCE = 1e-6;

    /** A named case: the weights' shapes and how to build the op from their values. */
    record Case(String name, List<long[]> shapes, Function<Builder, Value> build, boolean positive) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What a case sees: the graph builder and its weights. */
    record Builder(GraphBuilder b, List<Value> w) {
        Value add(Op op) {
            return b.add(op, "y");
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cases = new ArrayList<>();
        // every kind with a gradient rule: a new kind gets its finite-difference check here without being listed
        for (UnaryKind k : EnumSet.complementOf(EnumSet.of(UnaryKind.STEP, UnaryKind.SIGN, UnaryKind.GELU_GRAD))) {
            boolean positive = k == UnaryKind.LOG || k == UnaryKind.SQRT;
            cases.add(new Case(k.mnemonic(), List.of(new long[] {3, 4}), c -> c.add(new Op.Unary(k, c.w().get(0))), positive));
        }
        for (BinaryKind k : EnumSet.complementOf(EnumSet.of(BinaryKind.GE, BinaryKind.LT))) {
            boolean positive = k == BinaryKind.DIV;
            cases.add(new Case(k.mnemonic(), List.of(new long[] {3, 4}, new long[] {3, 4}), c -> c.add(new Op.Binary(k, c.w().get(0), c.w().get(1))), positive));
            cases.add(new Case(k.mnemonic() + " broadcast row", List.of(new long[] {3, 4}, new long[] {4}),
                    c -> c.add(new Op.Binary(k, c.w().get(0), c.w().get(1))), positive));
            cases.add(new Case(k.mnemonic() + " broadcast column and scalar", List.of(new long[] {3, 1}, new long[] {}),
                    c -> c.add(new Op.Binary(k, c.w().get(0), c.w().get(1))), positive));
        }
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                cases.add(new Case("matmul transA=" + ta + " transB=" + tb, List.of(ta ? new long[] {5, 3} : new long[] {3, 5}, tb ? new long[] {4, 5} : new long[] {5, 4}),
                        c -> c.add(new Op.MatMul(c.w().get(0), c.w().get(1), ta, tb)), false));
            }
        }
        cases.add(new Case("conv2d stride 1 pad 1", List.of(new long[] {2, 3, 5, 5}, new long[] {4, 3, 3, 3}),
                c -> c.add(new Op.Conv2d(c.w().get(0), c.w().get(1), 1, 1, 1, 1)), false));
        cases.add(new Case("conv2d stride 2 pad 1, 2x3 kernel", List.of(new long[] {2, 2, 6, 7}, new long[] {3, 2, 2, 3}),
                c -> c.add(new Op.Conv2d(c.w().get(0), c.w().get(1), 2, 2, 1, 1)), false));
        cases.add(new Case("conv_transpose stride 2 pad 1", List.of(new long[] {2, 3, 3, 3}, new long[] {3, 2, 3, 3}),
                c -> c.add(new Op.Conv2dInputGrad(c.w().get(0), c.w().get(1), Shape.of(2, 2, 5, 5), 2, 2, 1, 1)), false));
        cases.add(new Case("maxpool 2 stride 1", List.of(new long[] {2, 2, 5, 5}),
                c -> c.add(new Op.Pool2d(Op.PoolKind.MAX, c.w().get(0), 2, 2, 1, 1, 0, 0)), false));
        cases.add(new Case("maxpool 3 stride 2 pad 1", List.of(new long[] {1, 2, 6, 6}),
                c -> c.add(new Op.Pool2d(Op.PoolKind.MAX, c.w().get(0), 3, 3, 2, 2, 1, 1)), false));
        cases.add(new Case("avgpool 2 stride 2 pad 1", List.of(new long[] {2, 2, 5, 5}),
                c -> c.add(new Op.Pool2d(Op.PoolKind.AVG, c.w().get(0), 2, 2, 2, 2, 1, 1)), false));
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            cases.add(new Case("reduce_sum axis " + a, List.of(new long[] {2, 3, 4}), c -> c.add(new Op.Reduce(Op.ReduceKind.SUM, c.w().get(0), a)), false));
            cases.add(new Case("reduce_max axis " + a, List.of(new long[] {2, 3, 4}), c -> c.add(new Op.Reduce(Op.ReduceKind.MAX, c.w().get(0), a)), false));
        }
        cases.add(new Case("reshape", List.of(new long[] {2, 3, 4}), c -> c.add(new Op.Reshape(c.w().get(0), Shape.of(6, 4))), false));
        cases.add(new Case("broadcast", List.of(new long[] {3, 1}), c -> c.add(new Op.Broadcast(c.w().get(0), Shape.of(2, 3, 4))), false));
        cases.add(new Case("softmax", List.of(new long[] {3, 5}), GradientCheckTest::softmax, false));
        for (Op.RecurrentKind kind : Op.RecurrentKind.values()) {
            int g = kind.gates();
            cases.add(new Case(kind.mnemonic() + " over time", List.of(new long[] {2, 4, 3}, new long[] {g * 5, 3}, new long[] {g * 5, 5},
                    new long[] {g * 5}, new long[] {g * 5}),
                    c -> c.add(new Op.Recurrent(kind, c.w().get(0), c.w().get(1), c.w().get(2), c.w().get(3), c.w().get(4), false)), false));
        }
        cases.add(new Case("transpose", List.of(new long[] {2, 3, 4}), c -> c.add(new Op.Transpose(c.w().get(0), List.of(2, 0, 1))), false));
        cases.add(new Case("slice middle", List.of(new long[] {3, 6}), c -> c.add(new Op.Slice(c.w().get(0), 1, 2, 5)), false));
        cases.add(new Case("slice front", List.of(new long[] {4, 3}), c -> c.add(new Op.Slice(c.w().get(0), 0, 0, 2)), false));
        cases.add(new Case("concat", List.of(new long[] {2, 3}, new long[] {2, 1}, new long[] {2, 2}),
                c -> c.add(new Op.Concat(c.w(), 1)), false));
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                cases.add(new Case("batched matmul transA=" + ta + " transB=" + tb,
                        List.of(ta ? new long[] {2, 3, 5, 3} : new long[] {2, 3, 3, 5}, tb ? new long[] {2, 3, 4, 5} : new long[] {2, 3, 5, 4}),
                        c -> c.add(new Op.MatMul(c.w().get(0), c.w().get(1), ta, tb)), false));
            }
        }
        cases.add(new Case("chain: tanh(x·Wᵀ + b) then sigmoid", List.of(new long[] {4, 6}, new long[] {3, 6}, new long[] {3}), c -> {
            Value h = c.add(new Op.MatMul(c.w().get(0), c.w().get(1), false, true));
            Value t = c.add(new Op.Unary(UnaryKind.TANH, c.add(new Op.Binary(BinaryKind.ADD, h, c.w().get(2)))));
            return c.add(new Op.Unary(UnaryKind.SIGMOID, c.add(new Op.Binary(BinaryKind.MUL, t, t))));
        }, false));
        return cases.stream().map(Arguments::of);
    }

    private static Value softmax(Builder c) {
        Value x = c.w().get(0);
        Value m = c.add(new Op.Reduce(Op.ReduceKind.MAX, x, 1));
        Value e = c.add(new Op.Unary(UnaryKind.EXP, c.add(new Op.Binary(BinaryKind.SUB, x, m))));
        return c.add(new Op.Binary(BinaryKind.DIV, e, c.add(new Op.Reduce(Op.ReduceKind.SUM, e, 1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(Case c) {
        GraphBuilder b = new GraphBuilder("G", 1);
        List<Value> weights = new ArrayList<>();
        for (int i = 0; i < c.shapes().size(); i++) weights.add(b.param("w" + i, TensorType.f32(Shape.of(c.shapes().get(i))), Init.zeros()));
        Value y = c.build().apply(new Builder(b, weights));
        Value r = b.input("r", y.type());
        Value weighted = b.add(new Op.Binary(BinaryKind.MUL, y, r), "weighted");
        Value loss = weighted;
        for (int axis = y.shape().rank() - 1; axis >= 0; axis--) loss = b.add(new Op.Reduce(Op.ReduceKind.SUM, loss, axis), "loss");
        if (loss.shape().rank() > 0) loss = b.add(new Op.Reshape(loss, Shape.scalar()), "loss");
        b.output("loss", loss);
        Graph forward = b.build();

        Autodiff.Result result = Autodiff.differentiate(forward, loss);
        GraphBuilder withGrads = GraphBuilder.from(result.graph());
        result.gradients().forEach((p, g) -> withGrads.output("grad " + p.name(), g));
        Graph backward = withGrads.build();

        SplittableRandom random = new SplittableRandom(c.name().hashCode());
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Param p : forward.weights()) params.put(p.name(), random(p.value().shape().sizes(1), random, c.positive()));
        Map<String, NdArray> inputs = Map.of("r", random(y.shape().sizes(1), random, false));
        Map<String, NdArray> analytic = Interpreter.run(backward, inputs, params);

        for (Param p : forward.weights()) {
            double[] g = analytic.get("grad " + p.name()).data();
            double[] w = params.get(p.name()).data();
            double scale = 1e-3;
            for (double v : g) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < w.length; i++) {
                double saved = w[i];
                w[i] = saved + H;
                double up = Interpreter.run(forward, inputs, params).get("loss").data()[0];
                w[i] = saved - H;
                double down = Interpreter.run(forward, inputs, params).get("loss").data()[0];
                w[i] = saved;
                double numeric = (up - down) / (2 * H);
                assertTrue(Math.abs(numeric - g[i]) <= TOLERANCE * scale,
                        c.name() + ": d loss / d " + p.name() + "[" + i + "] = " + g[i] + " by autodiff, " + numeric + " by finite differences");
            }
        }
    }

    /** At a tie the maxima (and minima) share the gradient instead of one of them taking all of it. */
    @org.junit.jupiter.api.Test
    void tiedMaximaShareTheGradient() {
        GraphBuilder b = new GraphBuilder("Ties", 1);
        Value w = b.param("w", TensorType.f32(Shape.of(2, 3)), Init.zeros());
        Value v = b.param("v", TensorType.f32(Shape.of(2, 3)), Init.zeros());
        Value rowMax = b.add(new Op.Reduce(Op.ReduceKind.MAX, w, 1), "row_max");
        Value pairMax = b.add(new Op.Binary(BinaryKind.MAX, w, v), "pair_max");
        Value pairMin = b.add(new Op.Binary(BinaryKind.MIN, w, v), "pair_min");
        Value total = b.add(new Op.Binary(BinaryKind.ADD, b.add(new Op.Reduce(Op.ReduceKind.SUM, rowMax, 0), "s"),
                b.add(new Op.Reduce(Op.ReduceKind.SUM, b.add(new Op.Reduce(Op.ReduceKind.SUM, b.add(new Op.Binary(BinaryKind.ADD, pairMax,
                        b.add(new Op.Binary(BinaryKind.MUL, pairMin, b.add(new Op.Constant(10f), "ten")), "m")), "p"), 1), "q"), 0), "t")), "total");
        Value loss = b.add(new Op.Reshape(total, Shape.scalar()), "loss");
        b.output("loss", loss);
        Autodiff.Result result = Autodiff.differentiate(b.build(), loss);
        GraphBuilder withGrads = GraphBuilder.from(result.graph());
        result.gradients().forEach((p, g) -> withGrads.output("grad " + p.name(), g));
        NdArray wv = NdArray.zeros(2, 3);
        NdArray vv = NdArray.zeros(2, 3);
        double[] wData = {1, 3, 3, 2, 2, 2};     // row 0: two maxima; row 1: three
        double[] vData = {1, 0, 5, 2, 1, 4};     // ties with w at [0,0] and [1,0]
        System.arraycopy(wData, 0, wv.data(), 0, 6);
        System.arraycopy(vData, 0, vv.data(), 0, 6);
        Map<String, NdArray> grads = Interpreter.run(withGrads.build(), Map.of(), Map.of("w", wv, "v", vv));
        // d/dw: row max share (½, ⅓) + pair max share (1 if w > v, ½ at a tie) + 10 · pair min share
        double third = 1.0 / 3;
        double[] expectedW = {0 + 0.5 + 5, 0.5 + 1 + 0, 0.5 + 0 + 10, third + 0.5 + 5, third + 1 + 0, third + 0 + 10};
        double[] expectedV = {0.5 + 5, 0 + 10, 1 + 0, 0.5 + 5, 0 + 10, 1 + 0};
        for (int i = 0; i < 6; i++) {
            assertTrue(Math.abs(grads.get("grad w").data()[i] - expectedW[i]) < 1e-12, "d/dw[" + i + "] = " + grads.get("grad w").data()[i] + ", want " + expectedW[i]);
            assertTrue(Math.abs(grads.get("grad v").data()[i] - expectedV[i]) < 1e-12, "d/dv[" + i + "] = " + grads.get("grad v").data()[i] + ", want " + expectedV[i]);
        }
    }

    /** Values in ±(0.2..1) (or 0.2..1 when positive): away from the kinks of relu, abs, max and from log(0). */
    private static NdArray random(long[] shape, SplittableRandom random, boolean positive) {
        NdArray a = NdArray.zeros(shape);
        for (int i = 0; i < a.data().length; i++) {
            double magnitude = 0.2 + 0.8 * random.nextDouble();
            a.data()[i] = positive || random.nextBoolean() ? magnitude : -magnitude;
        }
        return a;
    }
}

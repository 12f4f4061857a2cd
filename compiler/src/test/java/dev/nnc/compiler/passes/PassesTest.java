package dev.nnc.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.IrParser;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.compiler.kernel.Lowering;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Passes on their own, as IR text in and IR (or kernel program) text out, each also checked to compute what its
 * input computes on the reference interpreter.
 */
class PassesTest {

    /** The frontend's inference batchnorm after a dense layer with a bias: x·Wᵀ + b, then (h − mean)/√(var + eps)·γ + β. */
    private static final String DENSE_BATCHNORM = """
            graph Bn(max_batch=4) {
              input %x: f32[B, 3]
              param %w: f32[4, 3] = zeros
              param %b: f32[4] = zeros
              param %gamma: f32[4] = ones
              param %beta: f32[4] = zeros
              buffer %mean: f32[4] = zeros
              buffer %var: f32[4] = ones
              %xw: f32[B, 4] = matmul(%x, %w) transA=false transB=true
              %h: f32[B, 4] = add(%xw, %b)
              %centered: f32[B, 4] = sub(%h, %mean)
              %eps: f32[] = const() value=1.0E-5
              %shifted: f32[4] = add(%var, %eps)
              %std: f32[4] = sqrt(%shifted)
              %normalized: f32[B, 4] = div(%centered, %std)
              %scaled: f32[B, 4] = mul(%normalized, %gamma)
              %y: f32[B, 4] = add(%scaled, %beta)
              output y = %y
            }
            """;

    @Test
    void foldBatchNormFoldsIntoTheDenseLayer() {
        Graph in = IrParser.parse(DENSE_BATCHNORM);
        Graph out = FoldBatchNorm.run(in);
        assertEquals("""
                graph Bn(max_batch=4) {
                  input %x: f32[B, 3]
                  param %w: f32[4, 3] = zeros
                  param %b: f32[4] = zeros
                  param %gamma: f32[4] = ones
                  param %beta: f32[4] = zeros
                  buffer %mean: f32[4] = zeros
                  buffer %var: f32[4] = ones
                  %eps: f32[] = const() value=1.0E-5
                  %shifted: f32[4] = add(%var, %eps)
                  %std: f32[4] = sqrt(%shifted)
                  %y.fold: f32[4] = div(%gamma, %std)
                  %y.fold.1: f32[4] = mul(%mean, %y.fold)
                  %y.fold.2: f32[4] = sub(%beta, %y.fold.1)
                  %y.fold.3: f32[4] = mul(%b, %y.fold)
                  %y.fold.4: f32[4] = add(%y.fold.2, %y.fold.3)
                  %y.scale: f32[4, 1] = reshape(%y.fold) shape=[4, 1]
                  %y.fold.5: f32[4, 3] = mul(%w, %y.scale)
                  %y.matmul: f32[B, 4] = matmul(%x, %y.fold.5) transA=false transB=true
                  %y.fold.6: f32[B, 4] = add(%y.matmul, %y.fold.4)
                  output y = %y.fold.6
                }
                """, IrPrinter.print(out));
        assertSameResults(in, out, 1e-12);
    }

    @Test
    void foldBatchNormLeavesALayerWhoseOutputIsAlsoReadElsewhere() {
        Graph in = IrParser.parse(DENSE_BATCHNORM.replace("  output y = %y\n", "  output y = %y\n  output h = %h\n"));
        assertEquals(IrPrinter.print(in), IrPrinter.print(FoldBatchNorm.run(in)));
    }

    @Test
    void simplifyRemovesIdentitiesDuplicatesDetachAndDeadCode() {
        Graph in = IrParser.parse("""
                graph S(max_batch=4) {
                  input %x: f32[B, 3]
                  %one: f32[] = const() value=1.0
                  %zero: f32[] = const() value=0.0
                  %a: f32[B, 3] = mul(%x, %one)
                  %b: f32[B, 3] = add(%a, %zero)
                  %n: f32[B, 3] = neg(%b)
                  %nn: f32[B, 3] = neg(%n)
                  %d: f32[B, 3] = detach(%nn)
                  %e1: f32[B, 3] = exp(%d)
                  %e2: f32[B, 3] = exp(%d)
                  %s: f32[B, 3] = add(%e1, %e2)
                  %dead: f32[B, 3] = tanh(%x)
                  output y = %s
                }
                """);
        Graph out = Simplify.run(in);
        assertEquals("""
                graph S(max_batch=4) {
                  input %x: f32[B, 3]
                  %e1: f32[B, 3] = exp(%x)
                  %s: f32[B, 3] = add(%e1, %e1)
                  output y = %s
                }
                """, IrPrinter.print(out));
        assertSameResults(in, out, 0);
    }

    @Test
    void loweringGivesOneKernelPerPrimitiveWithViewsAsStrides() {
        Graph in = IrParser.parse("""
                graph L(max_batch=4) {
                  input %x: f32[B, 2, 3]
                  param %w: f32[5, 6] = zeros
                  %t: f32[B, 3, 2] = transpose(%x) perm=0,2,1
                  %flat: f32[B, 6] = reshape(%t) shape=[B, 6]
                  %h: f32[B, 5] = matmul(%flat, %w) transA=false transB=true
                  %r: f32[B, 5] = relu(%h)
                  %s: f32[B, 1] = reduce_sum(%r) axis=1
                  output y = %s
                }
                """);
        assertEquals("""
                kernels L(max_batch=4) {
                  buffer @0:input x arena floats=6*B
                  buffer @1:w weights floats=30
                  buffer @2:t arena floats=6*B
                  buffer @3:h arena floats=5*B
                  buffer @4:r arena floats=5*B
                  buffer @5:s arena floats=B
                  k0: loop [B, 3, 2] @2:t[6, 2, 1] = @0:input x[6, 1, 3]    # %t
                  k1: gemm m=B n=5 k=6 bᵀ @3:h = @2:t · @1:w    # %h
                  k2: loop [B, 5] @4:r[5, 1] = relu(@3:h[5, 1])    # %r
                  k3: loop [B, 1] @5:s[1, 1] = reduce_sum[5](@4:r[5, 0, 1])    # %s
                }
                """, Lowering.lower(in).print());
    }

    /** {@code a} and {@code b} give the same outputs on one random input and random parameters, within {@code tolerance}. */
    private static void assertSameResults(Graph a, Graph b, double tolerance) {
        SplittableRandom random = new SplittableRandom(7);
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Param p : a.params()) params.put(p.name(), randomArray(p.value().shape().sizes(1), random, p.name().equals("var")));
        Map<String, NdArray> inputs = new LinkedHashMap<>();
        for (Value v : a.inputs()) inputs.put(v.name(), randomArray(v.shape().sizes(3), random, false));
        Map<String, NdArray> want = Interpreter.run(a, inputs, params);
        Map<String, NdArray> got = Interpreter.run(b, inputs, params);
        assertEquals(want.keySet(), got.keySet());
        for (String name : want.keySet()) {
            double[] w = want.get(name).data();
            double[] g = got.get(name).data();
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(w[i] - g[i]) <= tolerance * Math.max(1, Math.abs(w[i])), name + "[" + i + "]: " + w[i] + " before, " + g[i] + " after");
            }
        }
    }

    private static NdArray randomArray(long[] shape, SplittableRandom random, boolean positive) {
        NdArray a = NdArray.zeros(shape);
        for (int i = 0; i < a.data().length; i++) a.data()[i] = positive ? 0.5 + random.nextDouble() : 2 * random.nextDouble() - 1;
        return a;
    }
}

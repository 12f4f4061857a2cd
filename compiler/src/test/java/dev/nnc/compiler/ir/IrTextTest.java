package dev.nnc.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.TestModels;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The IR text form round-trips, and malformed or ill-typed text is refused with the line that is wrong. */
class IrTextTest {

    static Stream<String> models() {
        return TestModels.models().keySet().stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void printedModelsParseBackToEqualGraphs(String model) throws Exception {
        Graph g = TestModels.graph(model);
        String text = IrPrinter.print(g);
        Graph parsed = IrParser.parse(text);
        assertEquals(g, parsed);
        assertEquals(text, IrPrinter.print(parsed));
    }

    @Test
    void everyOpRoundTrips() {
        GraphBuilder b = new GraphBuilder("Ops", 8);
        Value x = b.input("x", TensorType.f32(Shape.of(-1, 2, 6, 6)));
        Value w = b.param("w", TensorType.f32(Shape.of(3, 2, 3, 3)), Init.heUniform(18));
        Value c = b.add(new Op.Conv2d(x, w, 2, 1, 1, 0), "conv");
        Value p = b.add(new Op.Pool2d(Op.PoolKind.AVG, c, 2, 2, 1, 1, 1, 0), "pool");
        Value flat = b.add(new Op.Reshape(p, new Shape(java.util.List.of(Dim.batch(3), Dim.of(12)))), "flat");
        Value k = b.add(new Op.Constant(-2.5f), "k");
        Value e = b.add(new Op.Binary(Op.BinaryKind.MAX, flat, k), "e");
        Value m = b.add(new Op.MatMul(e, b.param("v", TensorType.f32(Shape.of(4, 12)), Init.zeros()), false, true), "m");
        Value r = b.add(new Op.Reduce(Op.ReduceKind.SUM, m, 1), "r");
        Value u = b.add(new Op.Unary(Op.UnaryKind.GELU, r), "u");
        b.output("u", b.add(new Op.Reshape(u, Shape.of(-1, 3)), "out"));
        Graph g = b.build();
        assertEquals(java.util.List.of(), Verifier.check(g));
        assertEquals(g, IrParser.parse(IrPrinter.print(g)));
        assertTrue(IrPrinter.print(g).contains("%flat: f32[3*B, 12] = reshape(%pool) shape=[3*B, 12]"), IrPrinter.print(g));
    }

    @Test
    void typeMismatchNamesTheLine() {
        String text = """
                graph G(max_batch=4) {
                  input %x: f32[B, 3]
                  %y: f32[B, 4] = relu(%x)
                  output y = %y
                }
                """;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IrParser.parse(text));
        assertEquals("line 3: declared type f32[B, 4] but the operands give f32[B, 3]", e.getMessage());
    }

    @Test
    void undefinedOperandNamesTheLine() {
        String text = """
                graph G(max_batch=4) {
                  input %x: f32[B, 3]
                  %y: f32[B, 3] = add(%x, %z)
                  output y = %y
                }
                """;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IrParser.parse(text));
        assertEquals("line 3: %z is used before it is defined", e.getMessage());
    }

    @Test
    void unknownOpAndMissingAttributeAreRefused() {
        assertEquals("line 3: unknown op `frobnicate`", assertThrows(IllegalArgumentException.class, () -> IrParser.parse("""
                graph G(max_batch=4) {
                  input %x: f32[B, 3]
                  %y: f32[B, 3] = frobnicate(%x)
                }
                """)).getMessage());
        assertEquals("line 3: missing attribute `axis`", assertThrows(IllegalArgumentException.class, () -> IrParser.parse("""
                graph G(max_batch=4) {
                  input %x: f32[B, 3]
                  %y: f32[B, 1] = reduce_sum(%x)
                }
                """)).getMessage());
    }
}

package dev.nnc.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verifier finds use-before-definition, wrong types, duplicate names and bad interfaces. */
class VerifierTest {

    private static final TensorType ROW = TensorType.f32(Shape.of(-1, 3));

    @Test
    void wellFormedGraphHasNoProblems() {
        GraphBuilder b = new GraphBuilder("G", 4);
        Value x = b.input("x", ROW);
        b.output("y", b.add(new Op.Unary(Op.UnaryKind.RELU, x), "y"));
        assertEquals(List.of(), Verifier.check(b.build()));
    }

    @Test
    void reportsEveryViolation() {
        Value x = new Value("x", ROW);
        Value ghost = new Value("ghost", ROW);
        Value y = new Value("y", TensorType.f32(Shape.of(-1, 4)));
        Value dup = new Value("x", ROW);
        Value scaled = new Value("s", TensorType.f32(new Shape(List.of(Dim.batch(2), Dim.of(3)))));
        Graph g = new Graph("G", 4, List.of(x), List.of(),
                List.of(new Node(y, new Op.Unary(Op.UnaryKind.RELU, x)), new Node(dup, new Op.Binary(Op.BinaryKind.ADD, x, ghost)),
                        new Node(scaled, new Op.Reshape(x, new Shape(List.of(Dim.batch(2), Dim.of(3)))))),
                Map.of("s", scaled));
        List<String> problems = Verifier.check(g);
        assertEquals(List.of(
                "%y: f32[B, 4] = relu(%x): type should be f32[B, 3]",
                "%x: f32[B, 3] = add(%x, %ghost): operand %ghost is not defined before use",
                "%x is defined twice",
                "%s: f32[2*B, 3] = reshape(%x) shape=[2*B, 3]: reshape cannot turn f32[B, 3] into [2*B, 3] (element counts differ)",
                "output s = %s must have B itself as its leading dimension, got [2*B, 3]"), problems);
    }

    @Test
    void dedupReturnsTheSameValueForTheSameOp() {
        GraphBuilder b = new GraphBuilder("G", 4);
        Value x = b.input("x", ROW);
        Value r1 = b.add(new Op.Unary(Op.UnaryKind.RELU, x), "r");
        Value r2 = b.add(new Op.Unary(Op.UnaryKind.RELU, x), "r");
        assertEquals(r1, r2);
        assertEquals(1, b.nodeCount());
    }
}

package dev.nnc.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.dsl.ast.AstPrinter;
import dev.nnc.dsl.ast.BinOp;
import dev.nnc.dsl.ast.Binary;
import dev.nnc.dsl.ast.BlockDecl;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.DimRef;
import dev.nnc.dsl.ast.Let;
import dev.nnc.dsl.ast.ModelDecl;
import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.dsl.ast.Span;
import dev.nnc.dsl.ast.TensorTypeRef;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Valid files parse to the expected AST: pipelines, blocks with arguments, train sections, spans. */
class ParseTest {

    private static Program parse(String text) {
        ParseResult result = Dsl.parseAndCheck(new SourceFile("t.nn", text));
        assertEquals(List.of(), result.diagnostics());
        return result.program();
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ParseTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void pipelineAcrossLinesIsOneCallChainWithTheInputFirst() {
        Program program = parse("""
                model M(x: f32[B<=64, 784]) -> y {
                    y = x |> dense(128)
                          |> relu; # a comment between stages is fine
                }
                """);
        assertEquals("""
                model M
                  input x: f32[B<=64, 784]
                  output y
                  let y
                    call relu piped
                      call dense piped
                        name x
                        int 128
                """, AstPrinter.print(program));
    }

    @Test
    void operatorsBindTighterThanPipesAndMinusTighterThanTimes() {
        Program program = parse("""
                model M(a: f32[B, 4], b: f32[B, 4]) -> y {
                    y = a + b * 2 |> relu |> softmax(axis=1)
                    z = -a * b - 1 / 2
                }
                """.replace("-> y", "-> (y, z)"));
        assertEquals("""
                model M
                  input a: f32[B, 4]
                  input b: f32[B, 4]
                  output y
                  output z
                  let y
                    call softmax piped
                      call relu piped
                        +
                          name a
                          *
                            name b
                            int 2
                      axis=
                        int 1
                  let z
                    -
                      *
                        neg
                          name a
                        name b
                      /
                        int 1
                        int 2
                """, AstPrinter.print(program));
    }

    @Test
    void blockWithArgumentsAndBothCallForms() {
        Program program = parse("""
                block Residual(x: f32[B, C, H, W], k: int = 3) {
                    y = x |> conv2d(C, k, pad=k/2) |> relu
                    return relu(x + y)
                }
                model Net(x: f32[B, 8, 4, 4]) -> y {
                    y = Residual(x |> Residual, k=5)
                }
                """);
        BlockDecl block = assertInstanceOf(BlockDecl.class, program.decls().getFirst());
        assertEquals(List.of("x", "k"), block.params().stream().map(p -> p.name()).toList());
        TensorTypeRef type = assertInstanceOf(TensorTypeRef.class, block.params().getFirst().type());
        assertEquals(List.of("B", "C", "H", "W"), type.dims().stream().map(DimRef::symbol).toList());
        assertEquals("""
                model Net
                  input x: f32[B, 8, 4, 4]
                  output y
                  let y
                    call Residual
                      call Residual piped
                        name x
                      k=
                        int 5
                """, AstPrinter.print(new Program(program.source(), List.of(program.decls().get(1)))));
    }

    @Test
    void trainSectionItemsSeparatedByNewlinesAndSemicolons() throws IOException {
        Program program = parse(resource("/valid/language_tour.nn"));
        TrainDecl train = assertInstanceOf(TrainDecl.class, program.decls().getLast());
        assertEquals("Mlp", train.model());
        String printed = AstPrinter.print(new Program(program.source(), List.of(train)));
        assertEquals("""
                train Mlp
                  target y: i32[B]
                  setting loss
                    +
                      call cross_entropy
                        name logits
                        name y
                      *
                        float 1.0E-4
                        call l2
                          name params
                  setting optimizer
                    call adam
                      lr=
                        float 0.001
                  setting batch
                    int 64
                  setting epochs
                    int 10
                  early_stop patience 3 on val_loss
                """, printed);
        TrainItem.EarlyStop stop = assertInstanceOf(TrainItem.EarlyStop.class, train.items().getLast());
        assertEquals(3, stop.patience());
    }

    @Test
    void spansAreOneBasedAndEndExclusive() {
        Program program = parse("model M(x: f32[B, 4]) -> y {\n    y = x |> dense(10, name=\"out\")\n}\n");
        ModelDecl model = assertInstanceOf(ModelDecl.class, program.decls().getFirst());
        assertEquals(new Span(1, 7, 1, 8), model.nameSpan());
        assertEquals(new Span(1, 1, 3, 2), model.span());
        Let let = assertInstanceOf(Let.class, model.body().getFirst());
        Call dense = assertInstanceOf(Call.class, let.value());
        assertEquals(new Span(2, 14, 2, 19), dense.calleeSpan());
        assertEquals(new Span(2, 9, 2, 35), dense.span());
        assertEquals(new Span(2, 24, 2, 34), dense.args().get(2).span());
        assertEquals("out", ((dev.nnc.dsl.ast.StrLit) dense.args().get(2).value()).value());
    }

    @Test
    void integerDivisionOfDimsStaysABinaryExpression() {
        Program program = parse("block B2(x: f32[N, C], k: int = 3) {\n return x |> dense(C * k / 2)\n}\n");
        BlockDecl block = (BlockDecl) program.decls().getFirst();
        Call dense = (Call) ((dev.nnc.dsl.ast.Return) block.body().getFirst()).value();
        Binary div = assertInstanceOf(Binary.class, dense.args().get(1).value());
        assertEquals(BinOp.DIV, div.op());
        assertEquals(BinOp.MUL, assertInstanceOf(Binary.class, div.left()).op());
    }

    @Test
    void everyClaimedArchitectureIsExpressibleWithoutGrammarChanges() throws IOException {
        ParseResult result = Dsl.parse(new SourceFile("architectures.nn", resource("/valid/architectures.nn")));
        assertEquals(List.of(), result.diagnostics());
        List<String> names = result.program().decls().stream().map(d -> d.name()).toList();
        assertEquals(List.of("Cnn", "Residual", "Rnn", "EncoderLayer", "Transformer", "AutoEncoder", "Generator",
                "Discriminator", "Discriminator", "Generator"), names);
        String printed = AstPrinter.print(result.program());
        for (String layer : List.of("batchnorm", "dropout", "rnn", "lstm", "layernorm", "multi_head_attention")) {
            assertTrue(printed.contains("call " + layer), layer);
        }
    }

    @Test
    void languageTourPassesTheCheck() throws IOException {
        Program program = parse(resource("/valid/language_tour.nn"));
        assertEquals(4, program.decls().size());
    }
}

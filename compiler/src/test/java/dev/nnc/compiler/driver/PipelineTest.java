package dev.nnc.compiler.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.ir.IrParser;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.dsl.ast.SourceFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every compile path runs the one pass list, with the passes its mode and level call for, and can print each. */
class PipelineTest {

    @Test
    void theListIsOrderedAndNamed() {
        assertEquals(List.of("autodiff", "fold-batchnorm", "simplify", "dead-code", "lower", "fuse", "pack-weights"), Pipeline.names());
    }

    @Test
    void inferenceAndTrainingStepsRunTheirPassesAtEachLevel() throws Exception {
        assertEquals(List.of("fold-batchnorm (inference)", "simplify (inference)", "lower (inference)", "fuse (inference)",
                "pack-weights (inference)", "autodiff (training)", "simplify (training)", "lower (training)", "fuse (training)"),
                passes("examples/resnet_block.nn", OptLevel.O2).keySet().stream().toList());
        assertEquals(List.of("dead-code (inference)", "lower (inference)", "autodiff (training)", "dead-code (training)", "lower (training)"),
                passes("examples/resnet_block.nn", OptLevel.O0).keySet().stream().toList());
    }

    @Test
    void modelsTrainedTogetherGoThroughTheSameList() throws Exception {
        assertEquals(List.of("fold-batchnorm (inference)", "simplify (inference)", "lower (inference)", "fuse (inference)",
                "pack-weights (inference)", "autodiff (training)", "simplify (training)", "lower (training)", "fuse (training)"),
                passes("examples/gan.nn", OptLevel.O2).keySet().stream().toList());
    }

    @Test
    void batchnormIsFoldedOnlyAtO2AndEveryPrintedGraphParsesBack() throws Exception {
        Map<String, String> o2 = passes("examples/resnet_block.nn", OptLevel.O2);
        Map<String, String> o0 = passes("examples/resnet_block.nn", OptLevel.O0);
        assertTrue(o0.get("dead-code (inference)").contains("= sub(%conv1, %bn1.mean)"), "-O0 normalizes the activations as built");
        assertFalse(o2.get("fold-batchnorm (inference)").contains("sub(%conv1"), "-O2 folds the batchnorm into the convolution");
        for (Map<String, String> printed : List.of(o2, o0)) {
            printed.forEach((pass, text) -> {
                if (text.startsWith("graph ")) assertEquals(text, IrPrinter.print(IrParser.parse(text)), pass);
            });
        }
    }

    /** The text after each pass of compiling {@code model} at {@code level}, in order. */
    private static Map<String, String> passes(String model, OptLevel level) throws Exception {
        Path path = TestModels.repoRoot().resolve(model);
        Map<String, String> printed = new LinkedHashMap<>();
        Compiler.compile(new SourceFile(path.toString(), Files.readString(path)), CompileOptions.defaults().withOpt(level), printed::put);
        return printed;
    }
}

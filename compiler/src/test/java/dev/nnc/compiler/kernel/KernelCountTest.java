package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nnc.compiler.TestModels;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kernel counts per example, unfused and fused, for inference and the training step: a change that fuses less
 * (or splits kernels) fails here and must update the numbers on purpose.
 */
class KernelCountTest {

    static Stream<Arguments> counts() {
        Path root = TestModels.repoRoot();
        return Stream.of(
                //             model                                  O0 infer  O0 train  O2 infer  O2 train
                Arguments.of(root.resolve("examples/mlp.nn"), 13, 140, 6, 42),
                Arguments.of(root.resolve("examples/lenet.nn"), 21, 228, 10, 85),
                Arguments.of(root.resolve("compiler/src/test/resources/models/zoo.nn"), 33, -1, 13, -1),
                Arguments.of(root.resolve("compiler/src/test/resources/models/layers.nn"), 91, 895, 46, 285),
                Arguments.of(root.resolve("examples/gan.nn"), 9, 410, 3, 210));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("counts")
    void kernelCountsArePinned(Path model, int unfusedInfer, int unfusedTrain, int fusedInfer, int fusedTrain) throws Exception {
        Compiler.Compilation unfused = Compiler.compile(TestModels.source(model), CompileOptions.defaults().withOpt(OptLevel.O0));
        Compiler.Compilation fused = Compiler.compile(TestModels.source(model), CompileOptions.defaults().withOpt(OptLevel.O2));
        assertEquals(unfusedInfer, unfused.kernels().kernels().size(), "-O0 inference kernels");
        assertEquals(fusedInfer, fused.kernels().kernels().size(), "-O2 inference kernels");
        assertEquals(unfusedTrain, unfused.training().map(t -> t.kernels().kernels().size()).orElse(-1), "-O0 training kernels");
        assertEquals(fusedTrain, fused.training().map(t -> t.kernels().kernels().size()).orElse(-1), "-O2 training kernels");
    }
}

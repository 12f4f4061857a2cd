package dev.nnc.bench;

import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.dsl.ast.SourceFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A chain of 8 cheap elementwise ops over 16 M floats ({@code x: f32[16, 1048576]}, 64 MB), memory-bound by design:
 * unfused ({@code -O0}) every op reads and writes a 64 MB buffer (8 round trips), fused ({@code -O2}) one loop reads x
 * once and writes once, so the traffic ratio is about 8×. Times the kernels alone ({@link CompiledKernels}: no
 * copy-in, no copy-out). The bar: fused at least 4× faster than unfused, measured in one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Xmx2g"})
public class ElementwiseChainBench {

    /** Rows (the batch) and floats per row: 16 × 1 M = 16 M floats. */
    static final int BATCH = 16;
    static final int ROW = 1 << 20;

    /** Eight elementwise ops: ×1.5, +0.25, relu, ×0.5, −1, relu, ×2, +0.125. */
    static final String SOURCE = """
            model Chain(x: f32[B<=16, 1048576]) -> y {
                y = ((((x * 1.5 + 0.25) |> relu) * 0.5 - 1.0) |> relu) * 2.0 + 0.125
            }
            """;

    @Param({"O0", "O2"})
    OptLevel opt;

    private CompiledKernels kernels;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Compiler.Compilation c = Compiler.compile(new SourceFile("chain.nn", SOURCE), CompileOptions.defaults().withOpt(opt));
        kernels = new CompiledKernels(c);
        long input = c.plan().floatIndex(c.kernels().inputs().get("x"));
        MemorySegment memory = kernels.memory();
        SplittableRandom random = new SplittableRandom(DeterministicInputs.SEED);
        for (long i = 0; i < (long) BATCH * ROW; i++) {
            memory.setAtIndex(ValueLayout.JAVA_FLOAT, input + i, (float) (4 * random.nextDouble() - 2));
        }
    }

    /** All kernels of the chain once over the 16 M floats. */
    @Benchmark
    public void chain() {
        kernels.infer(BATCH);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
    }
}

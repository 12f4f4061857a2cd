package dev.nnc.bench;

import dev.nnc.kernels.Gemm;
import java.lang.foreign.Arena;
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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Gemm#sgemm} at 1024³ on one thread. Each invocation counts as its 1024³ multiply-adds
 * ({@link OperationsPerInvocation}; 2·1024³ would overflow the annotation's int), and the score is in ops/ns, so
 * GFLOP/s = 2 × score.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m"})
public class GemmBench {

    static final int SIZE = 1024;
    /** Multiply-adds per call; each is two floating-point operations. */
    static final int MULTIPLY_ADDS = SIZE * SIZE * SIZE;

    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofConfined();
        long floats = (long) SIZE * SIZE;
        a = arena.allocate(4 * floats, 64);
        b = arena.allocate(4 * floats, 64);
        c = arena.allocate(4 * floats, 64);
        SplittableRandom random = new SplittableRandom(DeterministicInputs.SEED);
        for (long i = 0; i < floats; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble());
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble());
        }
    }

    /** C = A·B, 1024×1024 row-major, on the benchmark thread. */
    @Benchmark
    @OperationsPerInvocation(MULTIPLY_ADDS)
    public void sgemm() {
        Gemm.sgemm(false, false, SIZE, SIZE, SIZE, a, 0, SIZE, b, 0, SIZE, c, 0, SIZE, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}

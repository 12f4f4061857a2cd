package dev.nnc.bench;

import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.dsl.ast.SourceFile;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Measures an in-process compile in a warm JVM: {@link Compiler#compile} (parse, check, lower, plan, emit, seeded
 * weights) plus {@link Compiler#writeArtifact}, one call per single shot after warm-up shots.
 *
 * <p>The source text is read once in setup, so file reading is not measured; the artifact write is.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 50)
@Measurement(iterations = 30)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m"})
public class CompileBench {

    /** The example model, {@code examples/<model>.nn}. */
    @Param({"mlp", "lenet"})
    String model;

    private SourceFile source;
    private Path artifact;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        source = ExampleModels.source(model);
        artifact = Files.createTempFile("nnc-compile-bench-" + model + "-", ".nnc");
    }

    /** Compiles the model and writes its artifact; returns the artifact's size so the work cannot be discarded. */
    @Benchmark
    public long compileAndWrite() throws Exception {
        Compiler.writeArtifact(Compiler.compile(source, CompileOptions.defaults()), artifact);
        return Files.size(artifact);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        Files.deleteIfExists(artifact);
    }
}

package dev.nnc.bench;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Measures one inference ({@link Session#run}) of a compiled example model: the average time per call, input copy-in
 * and output copy-out included.
 *
 * <p>Setup compiles {@code examples/<model>.nn} with seeded weights, writes the artifact to a temporary file, loads it
 * and opens a session on the benchmark thread (sessions are thread-confined, hence {@link Scope#Thread}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m"})
public class InferenceBench {

    /** The example model, {@code examples/<model>.nn}. */
    @Param({"mlp", "lenet"})
    String model;

    /** The batch size of every call. */
    @Param({"1", "64"})
    int batch;

    private Path artifact;
    private NncModel loaded;
    private Session session;
    private Map<String, Tensor> inputs;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        artifact = ExampleModels.compileToTempFile(model);
        loaded = NncModel.load(artifact);
        session = loaded.newSession();
        TensorSpec input = loaded.inputs().getFirst();
        inputs = Map.of(input.name(), DeterministicInputs.uniform(input, batch));
    }

    /** Runs the model once; the returned outputs keep the JIT from discarding the work. */
    @Benchmark
    public Map<String, Tensor> infer() {
        return session.run(inputs);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        session.close();
        loaded.close();
        Files.deleteIfExists(artifact);
    }
}

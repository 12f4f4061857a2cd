package dev.nnc.bench;

import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.TrainingSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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
 * Fused ({@code -O2}) against unfused ({@code -O0}) code for every example model: one inference ({@link Session#run},
 * copy-in and copy-out included) at batch 1 and 64, and one training step ({@link TrainingSession#trainStep}) on a
 * fixed batch of 64. Read the two {@code opt} rows of one model and batch as a ratio measured in the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m"})
public class FusionBench {

    /** The batch of every training step. */
    static final int TRAINING_BATCH = 64;

    /** A loaded example model at one optimization level, with an inference session and its input. */
    @State(Scope.Thread)
    public static class Inference {
        @Param({"mlp", "lenet"})
        String model;

        @Param({"O0", "O2"})
        OptLevel opt;

        @Param({"1", "64"})
        int batch;

        private Path artifact;
        private NncModel loaded;
        private Session session;
        private Map<String, Tensor> inputs;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            artifact = ExampleModels.compileToTempFile(model, opt);
            loaded = NncModel.load(artifact);
            session = loaded.newSession();
            TensorSpec input = loaded.inputs().getFirst();
            inputs = Map.of(input.name(), DeterministicInputs.uniform(input, batch));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            session.close();
            loaded.close();
            Files.deleteIfExists(artifact);
        }
    }

    /** A training session of an example model at one optimization level, and one fixed batch. */
    @State(Scope.Thread)
    public static class Training {
        @Param({"mlp", "lenet"})
        String model;

        @Param({"O0", "O2"})
        OptLevel opt;

        private Path artifact;
        private NncModel loaded;
        private TrainingSession session;
        private Map<String, Tensor> batch;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            artifact = ExampleModels.compileToTempFile(model, opt);
            loaded = NncModel.load(artifact);
            session = loaded.newTrainingSession();
            long classes = loaded.outputs().getFirst().shape()[loaded.outputs().getFirst().rank() - 1];
            batch = new HashMap<>();
            for (TensorSpec spec : loaded.manifest().training().inputs()) {
                batch.put(spec.name(), spec.dtype() == DType.I32
                        ? DeterministicInputs.labels(spec, TRAINING_BATCH, Math.toIntExact(classes))
                        : DeterministicInputs.uniform(spec, TRAINING_BATCH));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            session.close();
            loaded.close();
            Files.deleteIfExists(artifact);
        }
    }

    /** One inference; the returned outputs keep the JIT from discarding the work. */
    @Benchmark
    public Map<String, Tensor> infer(Inference state) {
        return state.session.run(state.inputs);
    }

    /** One optimizer step on the same batch; returns the loss. */
    @Benchmark
    public float trainStep(Training state) {
        return state.session.trainStep(state.batch);
    }
}

package dev.nnc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One artifact and one input give one answer: every example, fused and unfused, run twelve times — the first while
 * its generated code is still interpreted, later ones after more and more warm-up runs (C1, then C2 with vectorized
 * loops), one of them on another thread in a second session — gives outputs identical to the first run, bit for bit.
 * This holds because every transcendental function has one float implementation ({@code FloatMath}) that the
 * scalar code calls and the vector code repeats lane for lane.
 */
class DeterministicResultsTest {

    private static final int RUNS = 12;
    /** Warm-up runs before each measured run: the first is cold, the last comes after about 3,600. */
    private static final int[] WARMUP = {0, 0, 1, 3, 10, 30, 100, 200, 300, 500, 1000, 1500};

    static List<String> models() {
        return List.of("mlp", "lenet", "resnet_block", "rnn", "lstm", "transformer", "autoencoder", "gan");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void twelveRunsGiveBitIdenticalOutputs(String model, @TempDir Path dir) throws Exception {
        for (OptLevel level : OptLevel.values()) {
            Path artifact = dir.resolve(model + "-" + level + ".nnc");
            Path source = Path.of(model + ".nn");
            Compiler.writeArtifact(Compiler.compile(new SourceFile(source.toString(), Files.readString(source)),
                    CompileOptions.defaults().withOpt(level)), artifact);
            try (NncModel loaded = NncModel.load(artifact); Session session = loaded.newSession()) {
                int batch = Math.min(4, loaded.manifest().maxBatch());
                Map<String, int[]> first = null;
                for (int run = 0; run < RUNS; run++) {
                    for (int i = 0; i < WARMUP[run]; i++) {
                        session.run(batch);
                    }
                    Map<String, int[]> outputs = run == RUNS / 2 ? onAnotherThread(loaded, batch) : runOnce(loaded, session, batch);
                    if (first == null) {
                        first = outputs;
                        continue;
                    }
                    for (String name : first.keySet()) {
                        int[] want = first.get(name);
                        int[] got = outputs.get(name);
                        for (int i = 0; i < want.length; i++) {
                            assertEquals(want[i], got[i], model + " " + level + " output " + name + "[" + i + "] in run " + (run + 1)
                                    + " after " + WARMUP[run] + " more warm-up runs: " + Float.intBitsToFloat(want[i]) + " then "
                                    + Float.intBitsToFloat(got[i]));
                        }
                    }
                }
            }
        }
    }

    /** One run in a fresh session on a new thread. */
    private static Map<String, int[]> onAnotherThread(NncModel model, int batch) throws Exception {
        try (ExecutorService thread = Executors.newSingleThreadExecutor()) {
            return thread.submit(() -> {
                try (Session other = model.newSession()) {
                    return runOnce(model, other, batch);
                }
            }).get();
        }
    }

    /** Writes the fixed input, runs, and returns every output's bits. */
    private static Map<String, int[]> runOnce(NncModel model, Session session, int batch) {
        for (TensorSpec input : model.inputs()) {
            MemorySegment in = session.input(input.name());
            for (long i = 0; i < input.elementCount(batch); i++) {
                in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) StrictMath.sin(0.37 * i + input.name().length()));
            }
        }
        session.run(batch);
        Map<String, int[]> bits = new LinkedHashMap<>();
        for (TensorSpec output : model.outputs()) {
            MemorySegment out = session.output(output.name());
            int[] result = new int[Math.toIntExact(output.elementCount(batch))];
            for (int i = 0; i < result.length; i++) {
                result[i] = Float.floatToIntBits(out.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
            bits.put(output.name(), result);
        }
        return bits;
    }
}

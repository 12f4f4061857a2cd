package dev.nnc.bench;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Measures how long a fresh JVM takes to answer its first question: {@link NncModel#load}, {@link NncModel#newSession}
 * and one {@link Session#run}, each timed on its own, and prints the figures on one line.
 *
 * <p>Run it once per process (the point is a cold JVM), with only the runtime touched, as an embedding application
 * would:
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp bench/target/benchmarks.jar dev.nnc.bench.FirstInference /tmp/mlp.nnc [BATCH]
 * </pre>
 * The input is {@link DeterministicInputs#uniform} at BATCH (default 1), made before the timed run.
 */
public final class FirstInference {

    private static final double NANOS_PER_MILLI = 1e6;

    private FirstInference() {
    }

    public static void main(String[] args) throws IOException, ArtifactException {
        long jvmStartToMainMillis = ManagementFactory.getRuntimeMXBean().getUptime();
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: FirstInference MODEL.nnc [BATCH]");
            System.exit(1);
        }
        Path artifact = Path.of(args[0]);
        int batch = args.length == 2 ? Integer.parseInt(args[1]) : 1;

        long beforeLoad = System.nanoTime();
        try (NncModel model = NncModel.load(artifact)) {
            long afterLoad = System.nanoTime();
            try (Session session = model.newSession()) {
                long afterSession = System.nanoTime();
                TensorSpec input = model.inputs().getFirst();
                Map<String, Tensor> inputs = Map.of(input.name(), DeterministicInputs.uniform(input, batch));
                long beforeRun = System.nanoTime();
                Map<String, Tensor> outputs = session.run(inputs);
                long afterRun = System.nanoTime();

                System.out.println(String.format(Locale.ROOT,
                        "%s (%d bytes): jvm start to main %d ms, load %.1f ms, newSession %.2f ms, first run (batch %d) %.1f ms,"
                                + " load+session+run %.1f ms; outputs %s",
                        artifact.getFileName(), Files.size(artifact), jvmStartToMainMillis,
                        millis(afterLoad - beforeLoad), millis(afterSession - afterLoad), batch, millis(afterRun - beforeRun),
                        millis(afterLoad - beforeLoad + afterSession - afterLoad + afterRun - beforeRun), outputs.values()));
            }
        }
    }

    private static double millis(long nanos) {
        return nanos / NANOS_PER_MILLI;
    }
}

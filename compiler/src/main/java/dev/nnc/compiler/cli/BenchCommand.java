package dev.nnc.compiler.cli;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.driver.WeightsException;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code nnc bench MODEL.nn}: compiles the model unfused ({@code -O0}) and fused ({@code -O2}) in this process, checks
 * that both give the same outputs on one random input, and prints each variant's kernel count, arena size and median
 * latency per batch size, with the speedup unfused / fused. A quick look, not a substitute for the JMH benchmarks.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time a model compiled at -O0 and -O2 (same outputs checked first) and print the speedup.")
final class BenchCommand implements Callable<Integer> {

    /**
     * How closely the two variants must agree: both compute in float32 and differ only in operation order and
     * vector math (a few ulp per op), so 1e-5 relative, with an absolute floor of 1e-5 × the output's largest magnitude.
     */
    static final double TOLERANCE = 1e-5;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelSource input;

    @Option(names = "--batch", paramLabel = "N", split = ",", description = "batch sizes to time (repeatable or comma-separated; default: 1 and the maximum)")
    List<Integer> batches;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "200", description = "timed runs per variant and batch, after as many warm-up runs (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "seed for parameters and the random input (default: ${DEFAULT-VALUE})")
    long seed;

    /** One compiled variant, loaded. */
    private record Variant(OptLevel opt, int kernels, long arenaBytes, NncModel model, Path artifact) {}

    @Override
    public Integer call() {
        if (iterations < 1) throw new UserError("nnc bench: --iterations must be at least 1, got " + iterations);
        SourceFile src = input.read();
        List<Variant> variants = new ArrayList<>();
        try {
            for (OptLevel opt : List.of(OptLevel.O0, OptLevel.O2)) variants.add(compile(src, opt));
            int maxBatch = variants.getFirst().model().manifest().maxBatch();
            TreeSet<Integer> sizes = new TreeSet<>(batches == null || batches.isEmpty() ? List.of(1, maxBatch) : batches);
            for (int b : sizes) {
                if (b < 1 || b > maxBatch) throw new UserError("nnc bench: --batch " + b + " is outside 1.." + maxBatch + ", the model's batch range");
            }
            Map<String, Tensor> input = randomInputs(variants.getFirst().model().inputs(), sizes.last());
            checkAgreement(variants, input);
            double[][] micros = new double[variants.size()][sizes.size()];
            for (int v = 0; v < variants.size(); v++) {
                int column = 0;
                for (int b : sizes) micros[v][column++] = medianMicros(variants.get(v).model(), randomInputs(variants.get(v).model().inputs(), b));
            }
            print(spec.commandLine().getOut(), variants, List.copyOf(sizes), micros);
            return Main.OK;
        } catch (CompileException e) {
            throw new UserError(e.report());
        } catch (WeightsException | ArtifactException e) {
            throw new UserError("nnc bench: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError("nnc bench: cannot write a temporary artifact: " + CompileCommand.describe(e));
        } finally {
            for (Variant v : variants) {
                v.model().close();
                try {
                    Files.deleteIfExists(v.artifact());
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    private Variant compile(SourceFile src, OptLevel opt) throws CompileException, WeightsException, IOException, ArtifactException {
        Compiler.Compilation c = Compiler.compile(src, new CompileOptions(input.model, 0, seed, input.weights, opt));
        Path artifact = Files.createTempFile("nnc-bench-", "-" + opt + ".nnc");
        Compiler.writeArtifact(c, artifact);
        return new Variant(opt, c.kernels().kernels().size(), c.plan().arenaBytes(), NncModel.load(artifact), artifact);
    }

    /** Uniform(−1, 1) floats (labels 0 for i32 inputs) at {@code batch}, from {@code seed}. */
    private Map<String, Tensor> randomInputs(List<TensorSpec> specs, int batch) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec s : specs) {
            int n = Math.toIntExact(s.elementCount(batch));
            if (s.dtype() == DType.I32) {
                inputs.put(s.name(), Tensor.ofInts(new int[n], s.shapeAt(batch)));
            } else {
                float[] values = new float[n];
                for (int i = 0; i < n; i++) values[i] = (float) (2 * random.nextDouble() - 1);
                inputs.put(s.name(), Tensor.of(values, s.shapeAt(batch)));
            }
        }
        return inputs;
    }

    /** Both variants' outputs on {@code input} agree elementwise within {@link #TOLERANCE}, or a UserError says where not. */
    private static void checkAgreement(List<Variant> variants, Map<String, Tensor> input) {
        Map<String, Tensor> expected = run(variants.getFirst().model(), input);
        for (Variant v : variants.subList(1, variants.size())) {
            Map<String, Tensor> actual = run(v.model(), input);
            for (String name : expected.keySet()) {
                float[] want = expected.get(name).toFloatArray();
                float[] got = actual.get(name).toFloatArray();
                double scale = 0;
                for (float w : want) scale = Math.max(scale, Math.abs(w));
                for (int i = 0; i < want.length; i++) {
                    double allowed = TOLERANCE * Math.max(Math.abs(want[i]), scale);
                    if (!(Math.abs(got[i] - want[i]) <= allowed) && Float.compare(got[i], want[i]) != 0) {
                        throw new UserError(String.format(Locale.ROOT,
                                "nnc bench: -%s and -%s disagree on output %s[%d]: %s vs %s (allowed difference %.3g); this is a compiler bug",
                                variants.getFirst().opt(), v.opt(), name, i, want[i], got[i], allowed));
                    }
                }
            }
        }
    }

    private static Map<String, Tensor> run(NncModel model, Map<String, Tensor> input) {
        try (Session s = model.newSession()) {
            return s.run(input);
        }
    }

    /** Warm-up runs, then the median of {@code iterations} timed runs of one session, in microseconds. */
    private double medianMicros(NncModel model, Map<String, Tensor> input) {
        try (Session s = model.newSession()) {
            for (int i = 0; i < Math.max(iterations, 20); i++) s.run(input);
            long[] nanos = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                long start = System.nanoTime();
                s.run(input);
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            return nanos[iterations / 2] / 1e3;
        }
    }

    private static void print(PrintWriter out, List<Variant> variants, List<Integer> sizes, double[][] micros) {
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-8s %8s %12s", "variant", "kernels", "arena"));
        for (int b : sizes) header.append(String.format(Locale.ROOT, " %14s", "batch " + b));
        out.println(header);
        for (int v = 0; v < variants.size(); v++) {
            Variant variant = variants.get(v);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-8s %8d %12s", "-" + variant.opt(), variant.kernels(),
                    CompileCommand.bytes(variant.arenaBytes())));
            for (double us : micros[v]) row.append(String.format(Locale.ROOT, " %14s", formatMicros(us)));
            out.println(row);
        }
        StringBuilder speedup = new StringBuilder(String.format(Locale.ROOT, "%-8s %8s %12s", "speedup", "", ""));
        for (int column = 0; column < sizes.size(); column++) {
            speedup.append(String.format(Locale.ROOT, " %14s", String.format(Locale.ROOT, "%.2f×", micros[0][column] / micros[micros.length - 1][column])));
        }
        out.println(speedup);
        out.println("(median latency of one Session.run, copy-in and copy-out included; speedup = -O0 / -O2)");
    }

    private static String formatMicros(double us) {
        return us >= 10_000 ? String.format(Locale.ROOT, "%.1f ms", us / 1e3) : String.format(Locale.ROOT, "%.1f µs", us);
    }
}

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
import dev.nnc.runtime.opencl.OpenClModel;
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
 * {@code nnc bench MODEL.nn [--device cpu,opencl]}: compiles the model unfused ({@code -O0}) and fused ({@code -O2}) in
 * this process, checks that every variant on every device gives the outputs of the CPU's {@code -O0} on one random
 * input, and prints each variant's kernel count, arena size and median latency per batch size, with the speedup
 * unfused / fused per device and the CPU against each other device. A quick look, not a substitute for the JMH benchmarks.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time a model compiled at -O0 and -O2 on each device (same outputs checked first) and print the speedups.")
final class BenchCommand implements Callable<Integer> {

    /**
     * How closely the two variants must agree: both compute in float32 and differ only in operation order and
     * vector math (a few ulp per op), so 1e-5 relative, with an absolute floor of 1e-5 × the output's largest magnitude.
     */
    static final double TOLERANCE = 1e-5;

    /** Against an OpenCL device, whose exp, tanh and erf are a few ulp from the JVM's and whose sums run in another order (as OpenClBackendTest). */
    static final double DEVICE_TOLERANCE = 1e-4;

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

    @Option(names = "--device", paramLabel = "DEVICE", split = ",", defaultValue = "cpu",
            description = "devices to time on, comma-separated: cpu (also jvm), opencl, opencl:N (default: cpu)")
    List<String> devices;

    /** What runs one inference: a JVM session or an OpenCL program. */
    private interface Runner extends AutoCloseable {
        Map<String, Tensor> run(Map<String, Tensor> inputs);

        @Override
        void close();
    }

    /** One compiled variant on one device, loaded. */
    private record Variant(String device, OptLevel opt, int kernels, long arenaBytes, NncModel model, Path artifact, Runner runner) {
        String label() {
            return device + " -" + opt;
        }
    }

    @Override
    public Integer call() {
        if (iterations < 1) throw new UserError("nnc bench: --iterations must be at least 1, got " + iterations);
        List<String> chosen = new ArrayList<>(new java.util.LinkedHashSet<>(devices));
        for (String d : chosen) DeviceOption.isCpu("bench", d);
        chosen.sort(java.util.Comparator.comparing(d -> !DeviceOption.isCpu("bench", d)));   // the CPU's -O0 is the reference
        SourceFile src = input.read();
        List<Variant> variants = new ArrayList<>();
        try {
            for (String device : chosen) {
                for (OptLevel opt : List.of(OptLevel.O0, OptLevel.O2)) variants.add(compile(src, device, opt));
            }
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
                for (int b : sizes) micros[v][column++] = medianMicros(variants.get(v).runner(), randomInputs(variants.get(v).model().inputs(), b));
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
                v.runner().close();
                v.model().close();
                try {
                    Files.deleteIfExists(v.artifact());
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    private Variant compile(SourceFile src, String device, OptLevel opt) throws CompileException, WeightsException, IOException, ArtifactException {
        Compiler.Compilation c = Compiler.compile(src, new CompileOptions(input.model, 0, seed, input.weights, opt));
        Path artifact = Files.createTempFile("nnc-bench-", "-" + opt + ".nnc");
        Compiler.writeArtifact(c, artifact);
        NncModel model = NncModel.load(artifact);
        if (DeviceOption.isCpu("bench", device)) {
            Session session = model.newSession();
            return new Variant("cpu", opt, c.kernels().kernels().size(), c.plan().arenaBytes(), model, artifact, new Runner() {
                public Map<String, Tensor> run(Map<String, Tensor> inputs) {
                    return session.run(inputs);
                }

                public void close() {
                    session.close();
                }
            });
        }
        OpenClModel openCl;
        try {
            openCl = DeviceOption.openCl("bench", device, model);
        } catch (UserError e) {
            model.close();
            Files.deleteIfExists(artifact);
            throw e;
        }
        return new Variant(device, opt, c.openCl().launches().size(), c.plan().arenaBytes(), model, artifact, new Runner() {
            public Map<String, Tensor> run(Map<String, Tensor> inputs) {
                return openCl.run(inputs);
            }

            public void close() {
                openCl.close();
            }
        });
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

    /**
     * Every variant's outputs on {@code input} agree elementwise with the first's within {@link #TOLERANCE} (on the CPU)
     * or {@link #DEVICE_TOLERANCE} (on a device), or a UserError says where not.
     */
    private static void checkAgreement(List<Variant> variants, Map<String, Tensor> input) {
        Map<String, Tensor> expected = variants.getFirst().runner().run(input);
        for (Variant v : variants.subList(1, variants.size())) {
            Map<String, Tensor> actual = v.runner().run(input);
            double tolerance = v.device().equals("cpu") ? TOLERANCE : DEVICE_TOLERANCE;
            for (String name : expected.keySet()) {
                float[] want = expected.get(name).toFloatArray();
                float[] got = actual.get(name).toFloatArray();
                double scale = 0;
                for (float w : want) scale = Math.max(scale, Math.abs(w));
                for (int i = 0; i < want.length; i++) {
                    double allowed = tolerance * Math.max(Math.abs(want[i]), scale);
                    if (!(Math.abs(got[i] - want[i]) <= allowed) && Float.compare(got[i], want[i]) != 0) {
                        throw new UserError(String.format(Locale.ROOT,
                                "nnc bench: %s and %s disagree on output %s[%d]: %s vs %s (allowed difference %.3g); this is a compiler bug",
                                variants.getFirst().label(), v.label(), name, i, want[i], got[i], allowed));
                    }
                }
            }
        }
    }

    /** Warm-up runs, then the median of {@code iterations} timed runs, in microseconds. */
    private double medianMicros(Runner runner, Map<String, Tensor> input) {
        for (int i = 0; i < Math.max(iterations, 20); i++) runner.run(input);
        long[] nanos = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            runner.run(input);
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return nanos[iterations / 2] / 1e3;
    }

    /** The table: a row per variant, then per device the fusion speedup (-O0 / -O2), and the CPU's -O2 over each device's. */
    private static void print(PrintWriter out, List<Variant> variants, List<Integer> sizes, double[][] micros) {
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-18s %8s %12s", "variant", "kernels", "arena"));
        for (int b : sizes) header.append(String.format(Locale.ROOT, " %14s", "batch " + b));
        out.println(header);
        for (int v = 0; v < variants.size(); v++) {
            Variant variant = variants.get(v);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-18s %8d %12s", variant.label(), variant.kernels(),
                    CompileCommand.bytes(variant.arenaBytes())));
            for (double us : micros[v]) row.append(String.format(Locale.ROOT, " %14s", formatMicros(us)));
            out.println(row);
        }
        for (int v = 0; v < variants.size(); v += 2) {
            ratioRow(out, variants.get(v).device() + " speedup", micros[v], micros[v + 1]);
        }
        for (int v = 2; v < variants.size(); v += 2) {
            ratioRow(out, "cpu / " + variants.get(v).device(), micros[1], micros[v + 1]);
        }
        out.println("(median latency of one run, copy-in and copy-out included; speedup = -O0 / -O2 on one device; cpu / DEVICE = "
                + "the CPU's -O2 latency over the device's, above 1 when the device is faster)");
    }

    private static void ratioRow(PrintWriter out, String label, double[] numerator, double[] denominator) {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-18s %8s %12s", label, "", ""));
        for (int column = 0; column < numerator.length; column++) {
            row.append(String.format(Locale.ROOT, " %14s", String.format(Locale.ROOT, "%.2f×", numerator[column] / denominator[column])));
        }
        out.println(row);
    }

    private static String formatMicros(double us) {
        return us >= 10_000 ? String.format(Locale.ROOT, "%.1f ms", us / 1e3) : String.format(Locale.ROOT, "%.1f µs", us);
    }
}

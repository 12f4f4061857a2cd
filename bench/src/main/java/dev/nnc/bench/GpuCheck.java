package dev.nnc.bench;

import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.emit.OpenClEmitter;
import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.kernel.Buffer;
import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.LibraryCall;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.OpenClSchedule;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.TrainingSession;
import dev.nnc.runtime.opencl.OpenClException;
import dev.nnc.runtime.opencl.OpenClModel;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The one-command check of an OpenCL device ({@code bench/gpu-check}): prints the device, runs the parity suite (every
 * example's inference at batch 1, 7 and the maximum, and one training step, on the device against the JVM backend),
 * then measures SGEMM GFLOP/s at 1024³ and 4096³, the bandwidth of a fused 8-op elementwise chain over 16 M floats,
 * and MLP / LeNet / transformer latency at batch 1 and 64 against the JVM; with {@code clpeak} and the CLBlast harness
 * ({@code bench/opencl/clblast_sgemm}) on the machine, it puts the device's measured bandwidth and CLBlast's SGEMM
 * beside them. Exit 0 only when parity holds. {@code --quick} shrinks every size and skips the peers (for tests on PoCL).
 */
public final class GpuCheck {

    /** Parity tolerance: 1e-4 of each output's largest magnitude (OpenClBackendTest's, for the same reasons). */
    static final double TOLERANCE = 1e-4;

    private static final List<String> EXAMPLES = List.of("mlp", "lenet", "autoencoder", "resnet_block", "transformer", "gan", "rnn", "lstm");

    private final PrintStream out;
    private final boolean quick;
    private final int device;

    private GpuCheck(PrintStream out, boolean quick, int device) {
        this.out = out;
        this.quick = quick;
        this.device = device;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    /** Runs the check with {@code args} ({@code [--quick] [--device N]}); the exit code: 0 when parity holds, 1 when not, 2 without a device. */
    public static int run(String[] args, PrintStream out) throws Exception {
        boolean quick = false;
        int device = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--device" -> device = Integer.parseInt(args[++i]);
                default -> {
                    out.println("usage: gpu-check [--quick] [--device N]");
                    return 2;
                }
            }
        }
        try {
            List<OpenClModel.Device> devices = OpenClModel.devices();
            if (devices.isEmpty()) throw new OpenClException("the OpenCL platforms have no device");
            OpenClModel.Device d = devices.get(Math.max(device, 0));
            out.printf(Locale.ROOT, "device    %s (%s), %s, %d compute units, %.1f GiB, %s%n", d.name(), d.platform(), d.gpu() ? "GPU" : "not a GPU",
                    d.computeUnits(), d.globalMemoryBytes() / (double) (1L << 30), d.version());
        } catch (OpenClException e) {
            out.println("gpu-check: " + e.getMessage());
            return 2;
        }
        out.printf(Locale.ROOT, "host      %s, load average %s%n", System.getProperty("os.arch") + " " + Runtime.getRuntime().availableProcessors()
                + " CPUs", Files.readString(Path.of("/proc/loadavg")).strip());
        GpuCheck check = new GpuCheck(out, quick, device);
        long start = System.nanoTime();
        boolean parity = check.parity();
        check.gemm();
        check.chain();
        check.latency();
        out.printf(Locale.ROOT, "parity    %s; %.0f s in all%n", parity ? "holds" : "FAILS", (System.nanoTime() - start) / 1e9);
        return parity ? 0 : 1;
    }

    // ---- parity --------------------------------------------------------------------------------

    private boolean parity() throws Exception {
        boolean ok = true;
        for (String example : EXAMPLES) {
            Path artifact = ExampleModels.compileToTempFile(example);
            try (NncModel model = NncModel.load(artifact); Session session = model.newSession(); OpenClModel gpu = OpenClModel.load(model, device)) {
                List<String> problems = new ArrayList<>();
                int max = model.manifest().maxBatch();
                for (int batch : new int[] {1, Math.min(7, max), max}) {
                    Map<String, Tensor> inputs = inputs(model.inputs(), batch, 2, new SplittableRandom(batch));
                    compare(session.run(inputs), gpu.run(inputs), "batch " + batch, problems);
                }
                String training = "";
                if (model.isTrainable()) {
                    try (TrainingSession jvm = model.newTrainingSession(); TrainingSession device = gpu.newTrainingSession()) {
                        TensorSpec first = model.outputs().getFirst();
                        Map<String, Tensor> batch = inputs(model.manifest().training().inputs(), Math.min(7, max),
                                (int) first.shape()[first.rank() - 1], new SplittableRandom(7));
                        float want = jvm.trainStep(batch), got = device.trainStep(batch);
                        compare(Map.of("loss", Tensor.of(new float[] {want})), Map.of("loss", Tensor.of(new float[] {got})), "training step", problems);
                        training = String.format(Locale.ROOT, ", one training step (loss %.5f on both)", want);
                    }
                }
                out.printf(Locale.ROOT, "parity    %-13s %s%s%n", example, problems.isEmpty() ? "ok: batch 1, " + Math.min(7, max) + ", " + max + training
                        : "FAILS: " + problems.getFirst(), problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "");
                ok &= problems.isEmpty();
            } finally {
                Files.deleteIfExists(artifact);
            }
        }
        return ok;
    }

    private static void compare(Map<String, Tensor> want, Map<String, Tensor> got, String what, List<String> problems) {
        for (String name : want.keySet()) {
            float[] w = want.get(name).toFloatArray(), g = got.get(name).toFloatArray();
            double scale = 1e-3;
            for (float v : w) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < w.length; i++) {
                if (!(Math.abs(w[i] - g[i]) <= TOLERANCE * scale)) {
                    problems.add(what + " " + name + "[" + i + "]: JVM " + w[i] + ", OpenCL " + g[i]);
                    break;
                }
            }
        }
    }

    /** Uniform [0, 1) floats; i32 tensors uniform in [0, bound) (labels, or token ids). */
    private static Map<String, Tensor> inputs(List<TensorSpec> specs, int batch, int bound, SplittableRandom random) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : specs) {
            int count = Math.toIntExact(spec.elementCount(batch));
            if (spec.dtype() == DType.I32) {
                int[] values = new int[count];
                for (int i = 0; i < count; i++) values[i] = random.nextInt(bound);
                inputs.put(spec.name(), Tensor.ofInts(values, spec.shapeAt(batch)));
            } else {
                float[] values = new float[count];
                for (int i = 0; i < count; i++) values[i] = (float) random.nextDouble();
                inputs.put(spec.name(), Tensor.of(values, spec.shapeAt(batch)));
            }
        }
        return inputs;
    }

    // ---- GEMM ----------------------------------------------------------------------------------

    private void gemm() throws Exception {
        for (int size : quick ? new int[] {256, 512} : new int[] {1024, 4096}) {
            Buffer a = new Buffer(0, "a", Buffer.Memory.ARENA, Dim.of((long) size * size));
            Buffer b = new Buffer(1, "b", Buffer.Memory.ARENA, Dim.of((long) size * size));
            Buffer c = new Buffer(2, "c", Buffer.Memory.ARENA, Dim.of((long) size * size));
            LibraryCall.Gemm product = new LibraryCall.Gemm(false, false, Dim.of(size), Dim.of(size), Dim.of(size),
                    new Operand(a, 0), size, new Operand(b, 0), size, new Operand(c, 0), size);
            KernelProgram program = new KernelProgram("sgemm", 1, List.of(a, b, c), List.of(new Kernel.Call(List.of("c"), product)), Map.of(), Map.of(), Map.of());
            MemoryPlan plan = MemoryPlan.separate(program, Map.of());
            double seconds = timeResident(OpenClEmitter.emit(program, plan), plan.arenaBytes(), 1, size >= 4096 ? 3 : 10);
            double gflops = 2.0 * size * size * size / seconds / 1e9;
            String peer = quick ? "" : clblast(size).map(p -> String.format(Locale.ROOT, "; CLBlast %.1f GFLOP/s, nnc / CLBlast %.2f×", p, gflops / p)).orElse("; CLBlast: not measured (see bench/opencl)");
            out.printf(Locale.ROOT, "sgemm     %d³: %.1f GFLOP/s (%.2f ms)%s%n", size, gflops, seconds * 1e3, peer);
        }
    }

    /** The best time of {@code runs} launches of {@code schedule}'s kernels over a resident arena of random floats, in seconds. */
    private double timeResident(OpenClSchedule schedule, long arenaBytes, int batch, int runs) throws OpenClException {
        try (Arena arena = Arena.ofConfined(); OpenClModel model = OpenClModel.create(arenaBytes, arena.allocate(64), schedule)) {
            MemorySegment host = arena.allocate(arenaBytes, 64);
            SplittableRandom random = new SplittableRandom(1);
            for (long i = 0; i < arenaBytes / 4; i++) host.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble());
            model.runArena(host, batch);
            double best = Double.POSITIVE_INFINITY;
            for (int run = 0; run < runs; run++) {
                long start = System.nanoTime();
                model.launchResident(batch);
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            return best;
        }
    }

    /** CLBlast's SGEMM at {@code size}³ from {@code bench/opencl/clblast_sgemm.c}, built here when gcc and libclblast-dev are. */
    private java.util.Optional<Double> clblast(int size) {
        try {
            Path source = ExampleModels.repositoryRoot().resolve("bench/opencl/clblast_sgemm.c");
            Path binary = Files.createTempDirectory("nnc-clblast").resolve("clblast_sgemm");
            Process build = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString(), "-lclblast", "-lOpenCL")
                    .redirectErrorStream(true).start();
            build.getInputStream().readAllBytes();
            if (!build.waitFor(60, TimeUnit.SECONDS) || build.exitValue() != 0) return java.util.Optional.empty();
            Process run = new ProcessBuilder(binary.toString(), Integer.toString(size)).redirectErrorStream(true).start();
            String line = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!run.waitFor(120, TimeUnit.SECONDS) || run.exitValue() != 0 || !line.startsWith("clblast_sgemm ")) return java.util.Optional.empty();
            return java.util.Optional.of(Double.parseDouble(line.split(" ")[2]));
        } catch (IOException | InterruptedException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    // ---- bandwidth -----------------------------------------------------------------------------

    /** The fused chain of {@link ElementwiseChainBench} on the device: 2 × 64 MB moved per run (x read once, y written once). */
    private void chain() throws Exception {
        int rows = quick ? 2 : ElementwiseChainBench.BATCH;
        Compiler.Compilation c = Compiler.compile(new SourceFile("chain.nn", ElementwiseChainBench.SOURCE), CompileOptions.defaults());
        double seconds = timeResident(c.openCl(), c.plan().arenaBytes(), rows, quick ? 3 : 10);
        double gbps = 2.0 * 4 * rows * ElementwiseChainBench.ROW / seconds / 1e9;
        String peer = quick ? "" : clpeakBandwidth().map(p -> String.format(Locale.ROOT, "; clpeak %.1f GB/s, fused / clpeak %.2f", p, gbps / p)).orElse("; clpeak: not installed");
        out.printf(Locale.ROOT, "chain     8 fused ops over %d M floats: %.1f GB/s (%.2f ms, %d kernel)%s%n", rows, gbps, seconds * 1e3,
                c.openCl().launches().size(), peer);
    }

    /** The best global-memory bandwidth {@code clpeak} reports for the first device, in GB/s. */
    private static java.util.Optional<Double> clpeakBandwidth() {
        try {
            Process p = new ProcessBuilder("clpeak", "--global-bandwidth").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) return java.util.Optional.empty();
            double best = 0;
            for (String line : text.lines().toList()) {
                String[] parts = line.strip().split("\\s*:\\s*");
                if (parts.length == 2 && parts[0].startsWith("float")) {
                    try {
                        best = Math.max(best, Double.parseDouble(parts[1].split("\\s+")[0]));
                    } catch (NumberFormatException ignored) {
                        // not a figure
                    }
                }
                if (best > 0 && line.isBlank()) break;    // the first device's table only
            }
            return best > 0 ? java.util.Optional.of(best) : java.util.Optional.empty();
        } catch (IOException | InterruptedException e) {
            return java.util.Optional.empty();
        }
    }

    // ---- latency -------------------------------------------------------------------------------

    private void latency() throws Exception {
        int runs = quick ? 20 : 2000;
        for (String example : List.of("mlp", "lenet", "transformer")) {
            Path artifact = ExampleModels.compileToTempFile(example);
            try (NncModel model = NncModel.load(artifact); Session session = model.newSession(); OpenClModel gpu = OpenClModel.load(model, device)) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "latency   %-12s", example));
                for (int batch : new int[] {1, Math.min(64, model.manifest().maxBatch())}) {
                    Map<String, Tensor> inputs = inputs(model.inputs(), batch, 2, new SplittableRandom(batch));
                    double jvm = median(() -> session.run(inputs), runs);
                    double device = median(() -> gpu.run(inputs), Math.max(10, runs / 10));
                    row.append(String.format(Locale.ROOT, "  b%d: JVM %s, OpenCL %s (JVM / OpenCL %.2f×)", batch, micros(jvm), micros(device), jvm / device));
                }
                out.println(row);
            } finally {
                Files.deleteIfExists(artifact);
            }
        }
    }

    /** The median of {@code runs} timed calls after as many warm-up calls, in seconds. */
    private static double median(Runnable call, int runs) {
        for (int i = 0; i < runs; i++) call.run();
        double[] seconds = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            call.run();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        return seconds[runs / 2];
    }

    private static String micros(double seconds) {
        return seconds >= 1e-2 ? String.format(Locale.ROOT, "%.1f ms", seconds * 1e3) : String.format(Locale.ROOT, "%.1f µs", seconds * 1e6);
    }
}

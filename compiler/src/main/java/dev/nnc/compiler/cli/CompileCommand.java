package dev.nnc.compiler.cli;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.driver.Pipeline;
import dev.nnc.compiler.driver.WeightsException;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.compiler.kernel.PlanChart;
import dev.nnc.dsl.ast.AstPrinter;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.ArtifactSignature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nnc compile MODEL.nn}: source to artifact, or to any intermediate form with {@code --emit}. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = "Compile a .nn model into a runnable .nnc artifact.")
final class CompileCommand implements Callable<Integer> {

    /** The stages {@code --emit} can print. */
    enum Stage { ast, ir, kernels, plan }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelSource input;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.nnc", description = "the artifact to write (default: MODEL.nnc beside the source)")
    Path output;

    @Option(names = "--emit", paramLabel = "STAGE", description = "print a stage instead of writing an artifact: ${COMPLETION-CANDIDATES}")
    Stage emit;

    @Option(names = "--plan-chart", paramLabel = "FILE.svg", description = "with --emit plan, draw the memory timeline here (default: MODEL.plan.svg beside the output)")
    Path planChart;

    @Option(names = "--max-batch", paramLabel = "N", description = "plan for batches up to N (default: the source's B<=N, else 64)")
    int maxBatch;

    @Option(names = "-O", paramLabel = "LEVEL", description = "optimization level: 0 (one kernel per op, no buffer reuse) or 2 (fusion and memory planning; the default)",
            defaultValue = "2", converter = OptLevelConverter.class)
    OptLevel opt;

    @Option(names = "--print-after", paramLabel = "PASS", split = ",",
            description = "print the IR (or kernel program) after these passes to stderr, training step included: all, or any of "
                    + "autodiff, fold-batchnorm, simplify, dead-code, lower, fuse, pack-weights")
    List<String> printAfter;

    @Option(names = "--seed", paramLabel = "S", description = "seed for initializing parameters (default: ${DEFAULT-VALUE})", defaultValue = "0")
    long seed;

    @Option(names = "--sign", paramLabel = "KEY", description = "sign the artifact with this Ed25519 private key (and KEY.pub beside it; `nnc keygen` makes both)")
    Path signKey;

    @Override
    public Integer call() {
        if (maxBatch < 0) throw new UserError("nnc compile: --max-batch must be positive, got " + maxBatch);
        SourceFile src = input.read();
        CompileOptions options = new CompileOptions(input.model, maxBatch, seed, input.weights, opt);
        KeyPair signer = signKey == null ? null : signer(signKey);
        try {
            long start = System.nanoTime();
            if (emit == Stage.ast) {
                spec.commandLine().getOut().print(AstPrinter.print(Compiler.parse(src)));
                return Main.OK;
            }
            if (emit == Stage.ir) {
                spec.commandLine().getOut().print(IrPrinter.print(Compiler.graph(src, options)));
                return Main.OK;
            }
            Compiler.Compilation c = Compiler.compile(src, options, printer());
            if (emit == Stage.kernels) {
                spec.commandLine().getOut().print(c.kernels().print());
                return Main.OK;
            }
            if (emit == Stage.plan) {
                printPlan(c);
                return Main.OK;
            }
            Path out = output != null ? output : defaultOutput(input.source);
            if (out.toAbsolutePath().normalize().equals(input.source.toAbsolutePath().normalize())
                    || (Files.exists(out) && Files.isSameFile(out, input.source))) {
                throw new UserError("nnc compile: -o " + out + " is the source itself; writing the artifact there would destroy it");
            }
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Compiler.writeArtifact(c, out, signer);
            double seconds = (System.nanoTime() - start) / 1e9;
            long params = c.weights().values().stream().mapToLong(w -> w.length).sum();
            spec.commandLine().getOut().printf(Locale.ROOT, "compiled %s -> %s: %,d parameters, %d kernels, arena %s, %s on disk (%.2f s)%n",
                    c.graph().name(), out, params, c.kernels().kernels().size(), bytes(c.plan().arenaBytes()), bytes(Files.size(out)), seconds);
            return Main.OK;
        } catch (CompileException e) {
            throw new UserError(e.report());
        } catch (WeightsException e) {
            throw new UserError("nnc compile: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError("nnc compile: cannot write " + (output != null ? output : defaultOutput(input.source)) + ": " + describe(e));
        }
    }

    /** Prints the inference plan and (if any) the training plan, and writes their timeline chart as SVG. */
    private void printPlan(Compiler.Compilation c) {
        List<PlanChart.Panel> panels = new ArrayList<>();
        panels.add(new PlanChart.Panel("inference", c.kernels(), c.plan()));
        c.training().ifPresent(t -> panels.add(new PlanChart.Panel("training step", t.kernels(), t.plan())));
        for (PlanChart.Panel p : panels) {
            spec.commandLine().getOut().print("# " + p.name() + "\n" + p.plan().print(p.program()));
        }
        Path chart = planChart != null ? planChart : siblingOf(output != null ? output : defaultOutput(input.source), ".plan.svg");
        String title = "Memory plan of " + c.graph().name() + " (-" + c.options().opt().name() + ", max batch " + c.kernels().maxBatch() + ")";
        try {
            Path parent = chart.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(chart, PlanChart.svg(title, panels), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError("nnc compile: cannot write " + chart + ": " + describe(e));
        }
        spec.commandLine().getOut().println("wrote memory timeline chart to " + chart);
    }

    /** Reads {@code -O0} / {@code -O2} (picocli passes the text after {@code -O}). */
    static final class OptLevelConverter implements picocli.CommandLine.ITypeConverter<OptLevel> {
        @Override
        public OptLevel convert(String value) {
            return switch (value) {
                case "0" -> OptLevel.O0;
                case "2" -> OptLevel.O2;
                default -> throw new picocli.CommandLine.TypeConversionException("expected -O0 or -O2, got -O" + value);
            };
        }
    }

    /** What {@code --print-after} asks for: the text after each named pass, on stderr. */
    private BiConsumer<String, String> printer() {
        if (printAfter == null || printAfter.isEmpty()) return Pipeline.SILENT;
        for (String name : printAfter) {
            if (!name.equals("all") && !Pipeline.names().contains(name)) {
                throw new UserError("nnc compile: --print-after " + name + " is not a pass; the passes are all, " + String.join(", ", Pipeline.names()));
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        return (pass, text) -> {
            String name = pass.contains(" ") ? pass.substring(0, pass.indexOf(' ')) : pass;
            if (printAfter.contains("all") || printAfter.contains(name)) {
                err.println("// after " + pass);
                err.print(text);
                err.flush();
            }
        };
    }

    /** An I/O failure in words, without the exception's class name. */
    /** The key pair of private key file {@code key} and its {@code KEY.pub}, read before compiling so a bad key costs nothing. */
    private static KeyPair signer(Path key) {
        try {
            return new KeyPair(ArtifactSignature.readPublicKey(KeygenCommand.publicKeyOf(key)), ArtifactSignature.readPrivateKey(key));
        } catch (ArtifactException e) {
            throw new UserError("nnc compile: --sign " + e.getMessage());
        }
    }

    static String describe(IOException e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException n -> "no such file or directory " + n.getFile();
            case java.nio.file.AccessDeniedException a -> "permission denied: " + a.getFile();
            case java.nio.file.FileAlreadyExistsException f -> "a file is in the way: " + f.getFile();
            default -> e.getMessage() != null ? e.getMessage() : "I/O error";
        };
    }

    private static Path defaultOutput(Path source) {
        return siblingOf(source, ".nnc");
    }

    /** {@code file} with its extension ({@code .nn} or {@code .nnc}) replaced by {@code suffix}. */
    private static Path siblingOf(Path file, String suffix) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 && (name.endsWith(".nn") || name.endsWith(".nnc")) ? name.substring(0, dot) : name;
        return file.resolveSibling(base + suffix);
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
}

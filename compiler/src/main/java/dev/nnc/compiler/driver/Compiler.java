package dev.nnc.compiler.driver;

import dev.nnc.compiler.emit.JvmEmitter;
import dev.nnc.compiler.frontend.Frontend;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.compiler.ir.Verifier;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.Lowering;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.dsl.Dsl;
import dev.nnc.dsl.ParseResult;
import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.ArtifactWriter;
import dev.nnc.runtime.Manifest;
import dev.nnc.runtime.Safetensors;
import dev.nnc.runtime.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compiler pipeline from {@code .nn} source to a {@code .nnc} artifact:
 * parse and check → frontend (Graph IR) → verify → lower (kernel program) → plan memory → emit JVM class →
 * package. Each stage's product is kept in the {@link Compilation} so the CLI can print any of them.
 */
public final class Compiler {

    /** The version written into every artifact's manifest. */
    public static final String VERSION = "0.1.0";

    /** The package of every generated class. */
    public static final String GENERATED_PACKAGE = "nnc.gen";

    private Compiler() {}

    /** Everything one compilation produced, stage by stage. */
    public record Compilation(SourceFile source, Program ast, Graph graph, KernelProgram kernels, MemoryPlan plan,
                              String className, byte[] classFile, Map<String, float[]> weights, CompileOptions options) {}

    /** Parses and checks {@code source}; throws with every diagnostic if it has errors. */
    public static Program parse(SourceFile source) throws CompileException {
        ParseResult parsed = Dsl.parseAndCheck(source);
        if (!parsed.ok()) throw new CompileException(source, parsed.diagnostics());
        return parsed.program();
    }

    /** Parses, checks and lowers one model of {@code source} to the Graph IR. */
    public static Graph graph(SourceFile source, CompileOptions options) throws CompileException {
        return graph(source, parse(source), options);
    }

    private static Graph graph(SourceFile source, Program ast, CompileOptions options) throws CompileException {
        Frontend.Result lowered = Frontend.lower(ast, options.model(), options.maxBatch());
        if (lowered.graph().isEmpty()) throw new CompileException(source, lowered.diagnostics());
        Graph g = lowered.graph().get();
        Verifier.verify(g);
        return g;
    }

    /** Runs the whole pipeline except writing the artifact. */
    public static Compilation compile(SourceFile source, CompileOptions options) throws CompileException, WeightsException {
        Program ast = parse(source);
        Graph g = graph(source, ast, options);
        Map<String, float[]> weights = options.weights() == null ? Weights.initialize(g, options.seed()) : Weights.load(g, options.weights());
        KernelProgram kernels = Lowering.lower(g);
        MemoryPlan plan = MemoryPlan.separate(kernels, weightOffsets(g));
        String className = GENERATED_PACKAGE + "." + javaName(g.name());
        byte[] classFile = JvmEmitter.emit(kernels, plan, className);
        return new Compilation(source, ast, g, kernels, plan, className, classFile, weights, options);
    }

    /** Writes {@code c} as a {@code .nnc} artifact (aside, then renamed into place). */
    public static void writeArtifact(Compilation c, Path out) throws IOException {
        Graph g = c.graph();
        List<TensorSpec> params = paramSpecs(g);
        Map<String, Operand> ins = c.kernels().inputs();
        Map<String, Operand> outs = c.kernels().outputs();
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("opt", "O0");
        flags.put("max_batch", Integer.toString(g.maxBatch()));
        flags.put("weights", c.options().weights() == null ? "seed " + c.options().seed() : c.options().weights().getFileName().toString());
        Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, VERSION, flags, g.name(), c.source().path(),
                sha256(c.source().text()), c.className(), g.maxBatch(), c.plan().arenaBytes(),
                g.inputs().stream().map(Compiler::spec).toList(),
                g.inputs().stream().map(v -> 4 * c.plan().floatIndex(ins.get(v.name()))).toList(),
                g.outputs().entrySet().stream().map(e -> spec(e.getKey(), e.getValue())).toList(),
                g.outputs().keySet().stream().map(name -> 4 * c.plan().floatIndex(outs.get(name))).toList(),
                params, Map.of(), 0);
        ArtifactWriter.write(out, manifest, Map.of(c.className(), c.classFile()), params, Weights.segments(g, c.weights()),
                IrPrinter.print(g));
    }

    private static List<TensorSpec> paramSpecs(Graph g) {
        return g.params().stream().map(Param::value).map(Compiler::spec).toList();
    }

    /** Where {@code weights.safetensors} will store each parameter (the same layout the writer uses). */
    private static Map<String, Long> weightOffsets(Graph g) {
        List<TensorSpec> specs = paramSpecs(g);
        List<Long> offsets = Safetensors.layout(specs);
        Map<String, Long> byName = new HashMap<>();
        for (int i = 0; i < specs.size(); i++) byName.put(specs.get(i).name(), offsets.get(i));
        return byName;
    }

    private static TensorSpec spec(Value v) {
        return spec(v.name(), v);
    }

    private static TensorSpec spec(String name, Value v) {
        return new TensorSpec(name, v.type().dtype(), v.shape().runtimeSizes());
    }

    /** A model name as a Java class name: letters, digits and underscores, not starting with a digit. */
    static String javaName(String modelName) {
        StringBuilder sb = new StringBuilder();
        for (char ch : modelName.toCharArray()) sb.append(Character.isJavaIdentifierPart(ch) ? ch : '_');
        if (sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0))) sb.insert(0, 'M');
        return sb.toString();
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}

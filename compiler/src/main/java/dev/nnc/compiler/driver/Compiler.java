package dev.nnc.compiler.driver;

import dev.nnc.compiler.emit.JvmEmitter;
import dev.nnc.compiler.emit.OpenClEmitter;
import dev.nnc.compiler.frontend.Frontend;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.IrPrinter;
import dev.nnc.compiler.ir.Param;
import dev.nnc.compiler.ir.Value;
import dev.nnc.compiler.ir.Verifier;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import dev.nnc.compiler.kernel.WeightLayout;
import dev.nnc.dsl.Dsl;
import dev.nnc.dsl.ParseResult;
import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import dev.nnc.runtime.ArtifactWriter;
import dev.nnc.runtime.Hyperparameters;
import dev.nnc.runtime.Manifest;
import dev.nnc.runtime.OpenClSchedule;
import dev.nnc.runtime.Safetensors;
import dev.nnc.runtime.Sha256;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.Training.Optimizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

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

    /** Everything one compilation produced, stage by stage; {@code training} is present when the model has a train section. */
    public record Compilation(SourceFile source, Program ast, Graph graph, KernelProgram kernels, MemoryPlan plan,
                              Optional<Training> training, String className, byte[] classFile, OpenClSchedule openCl,
                              Map<String, float[]> weights, CompileOptions options) {}

    /**
     * The training entry point: the differentiated graph with its optimizer updates, its kernels and plan, and the
     * layout of the state segment (weights as in {@code weights.safetensors}, then the optimizer slots).
     */
    public record Training(Graph graph, KernelProgram kernels, MemoryPlan plan, Optimizer optimizer, Map<String, String> settings,
                           List<Param> slots, Map<String, Long> stateOffsets, long stateBytes) {}

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
        return compile(source, options, Pipeline.SILENT);
    }

    /** Runs the whole pipeline except writing the artifact, showing {@code printer} the product of every pass. */
    public static Compilation compile(SourceFile source, CompileOptions options, BiConsumer<String, String> printer)
            throws CompileException, WeightsException {
        Program ast = parse(source);
        Graph frontend = graph(source, ast, options);
        Map<String, float[]> weights = options.weights() == null ? Weights.initialize(frontend, options.seed())
                : Weights.load(frontend, options.weights());
        Pipeline.Result inference = Pipeline.run(frontend, new Pipeline.Context(Pipeline.Mode.INFERENCE, options.opt(), null,
                Safetensors.dataBytes(paramSpecs(frontend))), labelled(printer, "inference"));
        Graph g = inference.graph();
        KernelProgram kernels = inference.program();
        Map<String, Long> weightOffsets = weightOffsets(g);
        MemoryPlan plan = plan(kernels, weightOffsets, options.opt());
        Optional<Training> training = hasTrainSection(ast, g.name())
                ? Optional.of(training(source, ast, g, options, weightOffsets, labelled(printer, "training"))) : Optional.empty();
        String className = GENERATED_PACKAGE + "." + javaName(g.name());
        List<JvmEmitter.EntryPoint> entries = new ArrayList<>();
        entries.add(new JvmEmitter.EntryPoint(JvmEmitter.Entry.INFER, kernels, plan, types(g)));
        training.ifPresent(t -> entries.add(new JvmEmitter.EntryPoint(JvmEmitter.Entry.TRAIN_STEP, t.kernels(), t.plan(), types(t.graph()))));
        byte[] classFile = JvmEmitter.emit(className, source.path(), entries);
        OpenClSchedule openCl = OpenClEmitter.emit(kernels, plan, training.map(Training::kernels).orElse(null),
                training.map(Training::plan).orElse(null));
        return new Compilation(source, ast, g, kernels, plan, training, className, classFile, openCl, weights, options);
    }

    /** An inference graph compiled on its own: kernels, plan and class, for tests and tools that build graphs directly. */
    public record CompiledGraph(Graph graph, KernelProgram kernels, MemoryPlan plan, Map<String, Long> weightOffsets, String className, byte[] classFile) {}

    /** Optimizes, lowers, plans and emits {@code g} (an inference graph) at {@code level}, as {@link #compile} does. */
    public static CompiledGraph compileGraph(Graph g, OptLevel level) {
        Verifier.verify(g);
        Pipeline.Result result = Pipeline.run(g, new Pipeline.Context(Pipeline.Mode.INFERENCE, level, null, Safetensors.dataBytes(paramSpecs(g))),
                Pipeline.SILENT);
        Graph simplified = result.graph();
        KernelProgram kernels = result.program();
        Map<String, Long> weightOffsets = weightOffsets(simplified);
        MemoryPlan plan = plan(kernels, weightOffsets, level);
        String className = GENERATED_PACKAGE + "." + javaName(g.name());
        byte[] classFile = JvmEmitter.emit(className, g.name(), List.of(new JvmEmitter.EntryPoint(JvmEmitter.Entry.INFER, kernels, plan)));
        return new CompiledGraph(simplified, kernels, plan, weightOffsets, className, classFile);
    }

    /** {@code printer} with the entry point named after the pass: {@code simplify (training)}. */
    private static BiConsumer<String, String> labelled(BiConsumer<String, String> printer, String entry) {
        return (pass, text) -> printer.accept(pass + " (" + entry + ")", text);
    }

    /** The arena layout at {@code level}: every buffer apart at -O0 (the baseline), reused and written in place at -O2. */
    private static MemoryPlan plan(KernelProgram kernels, Map<String, Long> weightOffsets, OptLevel level) {
        return switch (level) {
            case O0 -> MemoryPlan.separate(kernels, weightOffsets);
            case O2 -> MemoryPlan.planned(kernels, weightOffsets);
        };
    }

    /** Whether a train section trains {@code model}: its own, or one listing it among several `models`. */
    private static boolean hasTrainSection(Program ast, String model) {
        return ast.decls().stream().anyMatch(d -> d instanceof TrainDecl t && (t.model().equals(model) || t.items().stream()
                .anyMatch(i -> i instanceof TrainItem.Listed l && l.key().equals("models") && l.names().stream().anyMatch(n -> n.name().equals(model)))));
    }

    /**
     * The training step: the model lowered in training mode with its loss, differentiated, followed by the
     * optimizer's updates. Its weights must be the inference graph's, in the same order, so one state segment
     * serves both entry points.
     */
    public static Training training(SourceFile source, Program ast, Graph inference, CompileOptions options, Map<String, Long> weightOffsets,
                                    BiConsumer<String, String> printer) throws CompileException {
        Frontend.TrainingResult lowered = Frontend.lowerTraining(ast, inference.name(), options.maxBatch());
        if (lowered.model().isEmpty()) throw new CompileException(source, lowered.diagnostics());
        Frontend.TrainingModel model = lowered.model().get();
        List<String> trained = model.graph().weights().stream().map(Param::name).toList();
        List<String> inferred = inference.weights().stream().map(Param::name).toList();
        if (!trained.equals(inferred)) {
            throw new IllegalStateException("training mode declared parameters " + trained + " but inference declared " + inferred);
        }
        Pipeline.Result step = Pipeline.run(model.graph(), new Pipeline.Context(Pipeline.Mode.TRAINING, options.opt(), model, 0), printer);
        Graph g = step.graph();
        KernelProgram kernels = step.program();
        List<Param> slots = g.params().stream().filter(p -> !p.isStored()).toList();
        Map<String, Long> stateOffsets = new HashMap<>(weightOffsets);
        long next = MemoryPlan.align(inference.weights().stream().mapToLong(p -> 4 * p.value().shape().numel(1)).sum());
        for (Param slot : slots) {
            stateOffsets.put(slot.name(), next);
            next = MemoryPlan.align(next + 4 * slot.value().shape().numel(1));
        }
        MemoryPlan plan = plan(kernels, stateOffsets, options.opt());
        return new Training(g, kernels, plan, model.optimizer(), model.settings(), slots, stateOffsets, next);
    }

    /** Writes {@code c} as a {@code .nnc} artifact (aside, then renamed into place). */
    public static void writeArtifact(Compilation c, Path out) throws IOException {
        writeArtifact(c, out, null);
    }

    /** Writes {@code c} as a {@code .nnc} artifact signed with {@code signer} when it is not null. */
    public static void writeArtifact(Compilation c, Path out, KeyPair signer) throws IOException {
        Graph g = c.graph();
        List<TensorSpec> params = paramSpecs(g);
        Map<String, Operand> ins = c.kernels().inputs();
        Map<String, Operand> outs = c.kernels().outputs();
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("opt", c.options().opt().name());
        flags.put("max_batch", Integer.toString(g.maxBatch()));
        flags.put("weights", c.options().weights() == null ? "seed " + c.options().seed() : c.options().weights().getFileName().toString());
        long arenaBytes = Math.max(c.plan().arenaBytes(), c.training().map(t -> t.plan().arenaBytes()).orElse(0L));
        Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, VERSION, flags, g.name(), c.source().path(),
                Sha256.of(c.source().text().getBytes(StandardCharsets.UTF_8)), c.className(), g.maxBatch(), arenaBytes,
                g.inputs().stream().map(Compiler::spec).toList(),
                g.inputs().stream().map(v -> 4 * c.plan().floatIndex(ins.get(v.name()))).toList(),
                g.outputs().entrySet().stream().map(e -> spec(e.getKey(), e.getValue())).toList(),
                g.outputs().keySet().stream().map(name -> 4 * c.plan().floatIndex(outs.get(name))).toList(),
                params, Map.of(), 0, c.training().map(Compiler::manifestTraining).orElse(null),
                WeightLayout.packedWeights(c.kernels()));
        ArtifactWriter.write(out, manifest, Map.of(c.className(), c.classFile()), params, Weights.segments(g, c.weights()),
                IrPrinter.print(g), c.openCl(), signer);
    }

    /** The manifest's description of the training entry point: batch inputs, hyperparameters, outputs, state layout. */
    private static dev.nnc.runtime.Training manifestTraining(Training t) {
        Graph g = t.graph();
        MemoryPlan plan = t.plan();
        Map<String, Operand> ins = t.kernels().inputs();
        Map<String, Operand> outs = t.kernels().outputs();
        List<Value> batch = g.inputs().stream().filter(v -> !Hyperparameters.NAMES.contains(v.name())).toList();
        List<Value> hyper = g.inputs().stream().filter(v -> Hyperparameters.NAMES.contains(v.name())).toList();
        return new dev.nnc.runtime.Training(
                batch.stream().map(Compiler::spec).toList(),
                batch.stream().map(v -> 4 * plan.floatIndex(ins.get(v.name()))).toList(),
                hyper.stream().map(Compiler::spec).toList(),
                hyper.stream().map(v -> 4 * plan.floatIndex(ins.get(v.name()))).toList(),
                g.outputs().entrySet().stream().map(e -> spec(e.getKey(), e.getValue())).toList(),
                g.outputs().keySet().stream().map(name -> 4 * plan.floatIndex(outs.get(name))).toList(),
                t.slots().stream().map(p -> spec(p.value())).toList(),
                t.slots().stream().map(p -> t.stateOffsets().get(p.name())).toList(),
                t.stateBytes(), t.optimizer(), t.settings());
    }

    private static List<TensorSpec> paramSpecs(Graph g) {
        return g.weights().stream().map(Param::value).map(Compiler::spec).toList();
    }

    /** Where {@code weights.safetensors} will store each parameter (the same layout the writer uses). */
    private static Map<String, Long> weightOffsets(Graph g) {
        List<TensorSpec> specs = paramSpecs(g);
        List<Long> offsets = Safetensors.layout(specs);
        Map<String, Long> byName = new HashMap<>();
        for (int i = 0; i < specs.size(); i++) byName.put(specs.get(i).name(), offsets.get(i));
        return byName;
    }

    /** Every input's and output's type as the manifest writes it, for the emitter's layout constant. */
    private static Map<String, String> types(Graph g) {
        Map<String, String> types = new HashMap<>();
        for (Value v : g.inputs()) types.put(v.name(), spec(v).typeString());
        g.outputs().forEach((name, v) -> types.put(name, spec(name, v).typeString()));
        return types;
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
}

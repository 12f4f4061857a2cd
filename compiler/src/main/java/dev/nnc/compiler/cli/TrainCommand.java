package dev.nnc.compiler.cli;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.WeightsException;
import dev.nnc.compiler.train.DataException;
import dev.nnc.compiler.train.DataLoader;
import dev.nnc.compiler.train.Dataset;
import dev.nnc.compiler.train.EpochMetrics;
import dev.nnc.compiler.train.EpochProgress;
import dev.nnc.compiler.train.MetricsLog;
import dev.nnc.compiler.train.OutputFiles;
import dev.nnc.compiler.train.ResumeState;
import dev.nnc.compiler.train.RuntimeStepSession;
import dev.nnc.compiler.train.SampleGrid;
import dev.nnc.compiler.train.Scoring;
import dev.nnc.compiler.train.TrainConfig;
import dev.nnc.compiler.train.Trainer;
import dev.nnc.compiler.train.TrainingException;
import dev.nnc.dsl.ast.Binary;
import dev.nnc.dsl.ast.Call;
import dev.nnc.dsl.ast.Decl;
import dev.nnc.dsl.ast.Expr;
import dev.nnc.dsl.ast.Neg;
import dev.nnc.dsl.ast.Program;
import dev.nnc.dsl.ast.TrainDecl;
import dev.nnc.dsl.ast.TrainItem;
import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.Training;
import dev.nnc.runtime.TrainingSession;
import dev.nnc.runtime.opencl.OpenClModel;
import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code nnc train MODEL.nn --data PATH -o OUT.safetensors}: compiles the model with its training entry point, then
 * trains it on a data set with {@link Trainer}. Flags override the {@code train} section's settings.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Compile a model's train section and train it on a data set; writes OUT, OUT.ckpt.safetensors, "
                + "OUT.metrics.csv and OUT.curves.png (OUT minus .safetensors).")
final class TrainCommand implements Callable<Integer> {

    private static final int DEFAULT_EPOCHS = 10;
    private static final int DEFAULT_BATCH = 64;
    private static final double DEFAULT_VALIDATION = 0.1;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelSource input;

    @Mixin
    DeviceOption device;

    @Option(names = "--data", paramLabel = "PATH", required = true,
            description = "training data: an MNIST-layout folder of IDX files, a folder of <input>.npy, an .npz or a .csv (label first)")
    Path data;

    @Option(names = "--val", paramLabel = "PATH", description = "validation data (default: hold out the train section's validation fraction when it asks for validation or early stopping)")
    Path val;

    @Option(names = "--test", paramLabel = "PATH", description = "test data (default: the t10k-* files of an MNIST-layout --data folder)")
    Path test;

    @Option(names = "--epochs", paramLabel = "N", description = "epochs to train (default: the train section's, else " + DEFAULT_EPOCHS + ")")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "N", description = "examples per step (default: the train section's, else " + DEFAULT_BATCH + ")")
    Integer batch;

    @Option(names = "--resume", paramLabel = "CKPT", description = "continue from a checkpoint written by nnc train (OUT.ckpt.safetensors)")
    Path resume;

    @Option(names = "--seed", paramLabel = "S", description = "seeds initialization, shuffling and the validation split (default: the train section's, else 0)")
    Long seed;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.safetensors", required = true, description = "where to write the trained weights")
    Path output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean cpu = device.cpu("train");
        SourceFile src = input.read();
        Path artifact = null;
        try {
            Program ast = Compiler.parse(src);
            long initSeed = seed != null ? seed : 0;
            Compiler.Compilation compilation = Compiler.compile(src, new CompileOptions(input.model, 0, initSeed, input.weights));
            artifact = Files.createTempFile("nnc-train-", ".nnc");
            Compiler.writeArtifact(compilation, artifact);
            try (NncModel nnc = NncModel.load(artifact)) {
                if (!nnc.isTrainable() || nnc.manifest().training() == null) {
                    throw new UserError("nnc train: " + input.source + ": model " + nnc.manifest().modelName()
                            + " has no training entry point; add a `train " + nnc.manifest().modelName() + " { ... }` section");
                }
                if (cpu) {
                    train(nnc, null, artifact, ast, out);
                } else {
                    try (OpenClModel openCl = device.openCl("train", nnc)) {
                        out.println("training on OpenCL device " + openCl.deviceName());
                        train(nnc, openCl, artifact, ast, out);
                    }
                }
            }
            return Main.OK;
        } catch (CompileException e) {
            throw new UserError(e.report());
        } catch (WeightsException | ArtifactException | DataException | TrainingException e) {
            throw new UserError("nnc train: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError("nnc train: " + e.getMessage());
        } finally {
            if (artifact != null) {
                try {
                    Files.deleteIfExists(artifact);
                } catch (IOException ignored) {
                    // a leftover temporary artifact is harmless
                }
            }
        }
    }

    /** Trains {@code nnc} on the JVM, or on {@code openCl} when it is not null. */
    private void train(NncModel nnc, OpenClModel openCl, Path artifact, Program ast, PrintWriter out)
            throws IOException, ArtifactException, DataException, TrainingException {
        Training training = nnc.manifest().training();
        Map<String, String> settings = training.settings();
        int epochCount = epochs != null ? epochs : intSetting(settings, "epochs", DEFAULT_EPOCHS);
        int batchSize = batch != null ? batch : intSetting(settings, "batch", DEFAULT_BATCH);
        long shuffleSeed = seed != null ? seed : (long) intSetting(settings, "seed", 0);
        int patience = intSetting(settings, "early_stop_patience", 0);
        if (epochCount < 1 || batchSize < 1) {
            throw new UserError("nnc train: --epochs and --batch must be positive, got " + epochCount + " and " + batchSize);
        }
        if (batchSize > nnc.manifest().maxBatch()) {
            throw new UserError("nnc train: batch " + batchSize + " is larger than the model's maximum batch " + nnc.manifest().maxBatch()
                    + "; declare the input as f32[B<=" + batchSize + ", ...] or pass a smaller --batch");
        }
        Set<String> modelInputs = nnc.inputs().stream().map(TensorSpec::name).collect(Collectors.toSet());
        List<TensorSpec> batchInputs = training.inputs();
        Set<String> targets = batchInputs.stream().map(TensorSpec::name).filter(n -> !modelInputs.contains(n)).collect(Collectors.toSet());
        TensorSpec classTarget = batchInputs.stream().filter(s -> targets.contains(s.name()) && s.dtype() == DType.I32).findFirst().orElse(null);
        List<TensorSpec> stepOutputs = training.outputs();
        Scoring scoring = null;
        int classes = 0;
        if (classTarget != null && stepOutputs.size() > 1) {
            long[] predicted = stepOutputs.get(1).shape();
            classes = (int) predicted[predicted.length - 1];
            Set<String> inferOutputs = nnc.outputs().stream().map(TensorSpec::name).collect(Collectors.toSet());
            Scoring.LossSource lossSource = !isCrossEntropy(ast, nnc.manifest().modelName()) ? Scoring.LossSource.NONE
                    : inferOutputs.contains("logits") ? Scoring.LossSource.LOGITS
                    : inferOutputs.contains("probs") ? Scoring.LossSource.PROBS : Scoring.LossSource.NONE;
            scoring = new Scoring(classTarget.name(), stepOutputs.get(1).name(), nnc.outputs().getFirst().name(), lossSource);
        }
        TrainConfig.StopMetric metric = stopMetric(settings, scoring);
        Set<String> modelOutputs = nnc.outputs().stream().map(TensorSpec::name).collect(Collectors.toSet());
        List<String> metrics = stepOutputs.stream().map(TensorSpec::name)
                .filter(n -> !n.equals(Training.LOSS) && !n.startsWith(Training.LOSS + "_") && !modelOutputs.contains(n)).toList();
        TrainConfig config;
        try {
            config = new TrainConfig(epochCount, batchSize, shuffleSeed, patience, metric,
                    nnc.inputs().stream().map(TensorSpec::name).toList(), scoring, metrics);
        } catch (IllegalArgumentException e) {
            throw new UserError("nnc train: " + input.source + ": " + e.getMessage());
        }
        DataLoader.Layout layout = new DataLoader.Layout(batchInputs, targets, classes);
        Dataset trainingData = DataLoader.load(data, layout, DataLoader.Part.TRAIN);
        Dataset validation = null;
        if (val != null) {
            validation = DataLoader.load(val, layout, DataLoader.hasTestPart(val) ? DataLoader.Part.TEST : DataLoader.Part.TRAIN);
        } else if (scoring != null && (patience > 0 || settings.containsKey("validation"))) {
            double fraction = settings.containsKey("validation") ? doubleSetting(settings, "validation") : DEFAULT_VALIDATION;
            try {
                Dataset.Split split = trainingData.split(fraction, shuffleSeed);
                trainingData = split.training();
                validation = split.validation();
            } catch (IllegalArgumentException e) {
                throw new UserError("nnc train: " + e.getMessage());
            }
        }
        Dataset testData = test != null ? DataLoader.load(test, layout, DataLoader.hasTestPart(test) ? DataLoader.Part.TEST : DataLoader.Part.TRAIN)
                : DataLoader.hasTestPart(data) ? DataLoader.load(data, layout, DataLoader.Part.TEST) : null;
        if (validation == null && patience > 0) {
            throw new UserError("nnc train: early stopping needs validation data");
        }
        out.printf(Locale.ROOT, "training %s: %,d examples%s%s, batch %d, %d epochs, optimizer %s%n", nnc.manifest().modelName(),
                trainingData.size(), validation == null ? "" : String.format(Locale.ROOT, ", %,d for validation", validation.size()),
                testData == null ? "" : String.format(Locale.ROOT, ", %,d for test", testData.size()), batchSize, epochCount,
                training.optimizer().kind().jsonName());
        OutputFiles files = new OutputFiles(output);
        Files.createDirectories(output.toAbsolutePath().getParent());
        Trainer.Result result;
        try (TrainingSession session = openCl != null ? openCl.newTrainingSession(resume)
                : resume != null ? nnc.newTrainingSession(resume) : nnc.newTrainingSession()) {
            ResumeState state = ResumeState.FRESH;
            List<EpochMetrics> earlier = List.of();
            if (resume != null) {
                try {
                    state = ResumeState.fromMetadata(session.checkpointMetadata());
                } catch (IllegalArgumentException e) {
                    throw new UserError("nnc train: " + resume + ": " + e.getMessage());
                }
                earlier = MetricsLog.read(files.metrics(), state.epochsDone());
                out.printf(Locale.ROOT, "resuming %s after epoch %d (step %d)%n", resume, state.epochsDone(), session.step());
            }
            try {
                result = Trainer.run(new RuntimeStepSession(session), trainingData, validation, config, state, earlier, files,
                        EpochProgress.forEnvironment(), out);
            } catch (IllegalArgumentException e) {
                throw new UserError("nnc train: " + e.getMessage());
            }
        }
        if (validation != null && result.bestEpoch() > 0) {
            out.printf(Locale.ROOT, "best epoch %d by %s%s; %s holds its weights%n", result.bestEpoch(), metric.dslName(),
                    result.stoppedEarly() ? " (stopped early)" : "", output);
        } else {
            out.printf(Locale.ROOT, "%s holds the weights after epoch %d%n", output, result.epochs().isEmpty() ? 0 : result.epochs().getLast().epoch());
        }
        boolean generator = nnc.inputs().stream().noneMatch(i -> batchInputs.stream().anyMatch(b -> b.name().equals(i.name())));
        if (generator && nnc.inputs().size() == 1 && SampleGrid.side(nnc.outputs().getFirst().rowElements()) > 0) {
            // a generator (its input is noise, not data): show what it makes
            try (NncModel trained = NncModel.load(artifact, output); Session session = trained.newSession()) {
                SampleGrid.write(session, trained.inputs().getFirst(), trained.outputs().getFirst().name(), 8, 8, shuffleSeed, files.samples());
                out.printf(Locale.ROOT, "wrote %s: 64 samples from the trained %s%n", files.samples(), nnc.manifest().modelName());
            }
        }
        if (testData != null && scoring != null) {
            try (NncModel best = NncModel.load(artifact, output); Session session = best.newSession()) {
                Trainer.Evaluation evaluation = Trainer.evaluate(session::run, testData, Math.min(batchSize, best.manifest().maxBatch()), config);
                out.printf(Locale.ROOT, "test accuracy: %.4f%n", evaluation.accuracy());
            }
        }
    }

    private static TrainConfig.StopMetric stopMetric(Map<String, String> settings, Scoring scoring) {
        String name = settings.get("early_stop_metric");
        if (name != null) {
            try {
                return TrainConfig.StopMetric.fromDslName(name);
            } catch (IllegalArgumentException e) {
                throw new UserError("nnc train: " + e.getMessage());
            }
        }
        return scoring != null && scoring.lossSource() != Scoring.LossSource.NONE ? TrainConfig.StopMetric.VAL_LOSS
                : TrainConfig.StopMetric.VAL_ACCURACY;
    }

    /** Whether the train section of {@code model} has a loss that calls {@code cross_entropy}. */
    static boolean isCrossEntropy(Program ast, String model) {
        for (Decl decl : ast.decls()) {
            if (decl instanceof TrainDecl train && train.model().equals(model)) {
                for (TrainItem item : train.items()) {
                    if (item instanceof TrainItem.Setting setting && setting.key().equals("loss")) {
                        return callsCrossEntropy(setting.value());
                    }
                }
            }
        }
        return false;
    }

    private static boolean callsCrossEntropy(Expr e) {
        return switch (e) {
            case Call call -> call.callee().equals("cross_entropy") || call.args().stream().anyMatch(a -> callsCrossEntropy(a.value()));
            case Binary binary -> callsCrossEntropy(binary.left()) || callsCrossEntropy(binary.right());
            case Neg neg -> callsCrossEntropy(neg.operand());
            default -> false;
        };
    }

    private static int intSetting(Map<String, String> settings, String key, int fallback) {
        String value = settings.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new UserError("nnc train: the train section's " + key + " must be an integer, got '" + value + "'");
        }
    }

    private static double doubleSetting(Map<String, String> settings, String key) {
        String value = settings.get(key);
        try {
            return Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new UserError("nnc train: the train section's " + key + " must be a number, got '" + value + "'");
        }
    }
}

package dev.nnc.compiler.cli;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.MalformedFileException;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Npy;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.opencl.OpenClModel;
import dev.nnc.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code nnc run MODEL.nnc --input x=x.npy}: one inference, outputs written as {@code .npy}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a compiled model on .npy inputs and write each output as DIR/<name>.npy.")
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL.nnc", description = "the compiled model")
    Path artifact;

    @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE.npy", required = true, description = "an input tensor (repeat for each input)")
    Map<String, Path> inputs = new LinkedHashMap<>();

    @Mixin
    DeviceOption device;

    @Mixin
    TrustOption trust;

    @Option(names = "--out", paramLabel = "DIR", description = "where to write the outputs (default: the current directory)", defaultValue = ".")
    Path outDir;

    private static Map<String, Tensor> runOnCpu(NncModel model, Map<String, Tensor> inputs) {
        try (Session session = model.newSession()) {
            return session.run(inputs);
        }
    }

    private Map<String, Tensor> runOnOpenCl(NncModel model, Map<String, Tensor> inputs) {
        try (OpenClModel openCl = device.openCl("run", model)) {
            return openCl.run(inputs);
        }
    }

    @Override
    public Integer call() {
        boolean cpu = device.cpu("run");
        try (NncModel model = NncModel.load(artifact, trust.trust("run"))) {    // the artifact is checked before any input is read
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            inputs.forEach((name, file) -> tensors.put(name, readNpy(file)));
            Map<String, Tensor> outputs;
            try {
                outputs = cpu ? runOnCpu(model, tensors) : runOnOpenCl(model, tensors);
            } catch (IllegalArgumentException e) {
                throw new UserError("nnc run: " + e.getMessage());
            }
            Files.createDirectories(outDir);
            for (Map.Entry<String, Tensor> e : outputs.entrySet()) {
                Path file = outDir.resolve(e.getKey() + ".npy");
                Npy.write(file, e.getValue());
                spec.commandLine().getOut().println("wrote " + file + " " + e.getValue());
            }
            return Main.OK;
        } catch (ArtifactException e) {
            throw new UserError("nnc run: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError("nnc run: cannot write to " + outDir + ": " + CompileCommand.describe(e));
        }
    }

    private static Tensor readNpy(Path file) {
        try {
            return Npy.read(file);
        } catch (NoSuchFileException e) {
            throw new UserError("nnc run: " + file + ": no such file");
        } catch (MalformedFileException e) {
            throw new UserError("nnc run: " + e.getMessage());    // it names the file
        } catch (IOException e) {
            throw new UserError("nnc run: " + file + ": " + e.getMessage());
        }
    }
}

package dev.nnc.compiler.cli;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.ArtifactSignature;
import dev.nnc.runtime.Json;
import dev.nnc.runtime.Manifest;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.TensorSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nnc inspect MODEL.nnc}: what an artifact contains, for people or (with {@code --json}) for tools. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a compiled model's inputs, outputs, parameters, signer and provenance. The artifact is fully verified first, and none of its code runs.")
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL.nnc", description = "the compiled model")
    Path artifact;

    @Option(names = "--json", description = "print JSON: {model, inputs, outputs, params}, each tensor {name, dtype, shape}")
    boolean json;

    @Mixin
    TrustOption trust;

    @Override
    public Integer call() {
        try {
            NncModel.Inspection model = NncModel.inspect(artifact, trust.trust("inspect"));    // runs no code of the artifact
            Manifest m = model.manifest();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("model", m.modelName());
                doc.put("compiler_version", m.compilerVersion());
                doc.put("max_batch", (long) m.maxBatch());
                doc.put("arena_bytes", m.arenaBytes());
                doc.put("opencl_kernels", model.openCl().map(o -> (Object) (long) o.launches().size()).orElse(null));
                doc.put("signed_by", model.signer().map(ArtifactSignature.Signer::fingerprint).orElse(null));
                doc.put("inputs", tensors(m.inputs()));
                doc.put("outputs", tensors(m.outputs()));
                doc.put("params", tensors(m.params()));
                out.println(Json.write(doc));
                return Main.OK;
            }
            out.printf(Locale.ROOT, "model     %s (from %s, nnc %s)%n", m.modelName(), printable(m.sourceFile()), printable(m.compilerVersion()));
            out.printf(Locale.ROOT, "flags     %s%n", printable(m.flags().toString()));
            out.printf(Locale.ROOT, "batch     1..%d%n", m.maxBatch());
            out.printf(Locale.ROOT, "arena     %s per session%n", CompileCommand.bytes(m.arenaBytes()));
            out.printf(Locale.ROOT, "signed    %s%n", model.signer().map(s -> "by " + s.fingerprint() + " (verified)").orElse("no (checksums only)"));
            out.printf(Locale.ROOT, "opencl    %s%n", model.openCl().map(o -> o.launches().size() + " kernel launches (nnc run --device opencl)")
                    .orElse("none (runs on the CPU only)"));
            for (TensorSpec t : m.inputs()) out.printf(Locale.ROOT, "input     %-24s %s%n", t.name(), t.typeString());
            for (TensorSpec t : m.outputs()) out.printf(Locale.ROOT, "output    %-24s %s%n", t.name(), t.typeString());
            long total = 0;
            for (TensorSpec t : m.params()) {
                long n = t.elementCount(1);
                total += n;
                out.printf(Locale.ROOT, "param     %-24s %-20s %,12d%n", t.name(), t.typeString(), n);
            }
            out.printf(Locale.ROOT, "          %d parameter tensors, %,d values%n", m.params().size(), total);
            return Main.OK;
        } catch (ArtifactException e) {
            throw new UserError("nnc inspect: " + e.getMessage());
        }
    }

    /**
     * {@code text} from an artifact made safe for a terminal: control characters (ANSI and OSC escapes start with
     * one) and invisible format characters (bidirectional overrides) as {@code \\uXXXX}.
     */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT || c == '\\') {
                out.append(c == '\\' ? "\\\\" : String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private static List<Object> tensors(List<TensorSpec> specs) {
        return specs.stream().map(t -> (Object) t.toJson()).toList();
    }
}

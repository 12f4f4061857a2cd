package dev.nnc.examples;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Shows how an application embeds a compiled model with nothing but the runtime: loads a {@code .nnc} artifact,
 * prints its inputs and outputs, runs it once on a constant input and prints the winning class.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp nnc-runtime.jar:nnc-kernels.jar:nnc-examples.jar dev.nnc.examples.EmbedApp mlp.nnc
 * </pre>
 *
 * <p>The input is the model's first input at batch size 1 with every element {@value #PIXEL_VALUE} (a flat grey
 * image for the MNIST-style examples), so the printed answer is the same on every run. The class printed is the
 * argmax of the output named {@value #PREFERRED_OUTPUT} if the model has one, else of its first output.
 */
public final class EmbedApp {

    /** The value of every input element. */
    static final float PIXEL_VALUE = 0.5f;
    /** The output whose argmax is reported when the model has it. */
    static final String PREFERRED_OUTPUT = "probs";

    private static final String USAGE = """
            usage: EmbedApp MODEL.nnc
              Loads a compiled nnc model, prints its inputs and outputs, runs it once on a batch of one
              input filled with %s and prints the argmax and the top value of its output.""".formatted(PIXEL_VALUE);

    private EmbedApp() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the app with {@code args}, printing to {@code out} and {@code err}; returns the process exit code (0 or 1). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 1 || args[0].startsWith("-")) {
            err.println(USAGE);
            return 1;
        }
        Path artifact = Path.of(args[0]);
        if (!Files.isRegularFile(artifact)) {
            err.println("EmbedApp: no such file: " + artifact);
            err.println(USAGE);
            return 1;
        }
        try (NncModel model = NncModel.load(artifact);
             Session session = model.newSession()) {
            return runOnce(model, session, out, err);
        } catch (ArtifactException e) {
            err.println("EmbedApp: " + e.getMessage());
            return 1;
        }
    }

    private static int runOnce(NncModel model, Session session, PrintStream out, PrintStream err) {
        List<TensorSpec> inputs = model.inputs();
        List<TensorSpec> outputs = model.outputs();
        out.println("inputs:  " + inputs);
        out.println("outputs: " + outputs);
        if (inputs.isEmpty() || outputs.isEmpty()) {
            err.println("EmbedApp: the model needs at least one input and one output");
            return 1;
        }
        TensorSpec input = inputs.getFirst();
        if (input.dtype() != DType.F32) {
            err.println("EmbedApp: input " + input + " is not f32; this example only feeds float inputs");
            return 1;
        }
        long[] shape = input.shapeAt(1);
        float[] values = new float[Math.toIntExact(input.elementCount(1))];
        Arrays.fill(values, PIXEL_VALUE);

        Map<String, Tensor> results = session.run(Map.of(input.name(), Tensor.of(values, shape)));

        String reported = outputs.stream().anyMatch(spec -> spec.name().equals(PREFERRED_OUTPUT))
                ? PREFERRED_OUTPUT
                : outputs.getFirst().name();
        float[] scores = results.get(reported).toFloatArray();
        int best = argmax(scores);
        out.println(String.format(Locale.ROOT, "input %s = %s, batch 1 -> %s: argmax %d, value %.6f",
                input.name(), PIXEL_VALUE, reported, best, scores[best]));
        return 0;
    }

    /** The index of the largest element (the first one on ties). */
    static int argmax(float[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("argmax of an empty array");
        }
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}

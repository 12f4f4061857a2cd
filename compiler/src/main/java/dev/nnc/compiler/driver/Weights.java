package dev.nnc.compiler.driver;

import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.Init;
import dev.nnc.compiler.ir.Param;
import dev.nnc.runtime.DType;
import dev.nnc.runtime.MalformedFileException;
import dev.nnc.runtime.Safetensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The values of a model's parameters at compile time: generated from a seed, or read from a safetensors file. */
public final class Weights {

    private Weights() {}

    /**
     * Draws every parameter from its initializer. Each parameter has its own stream, seeded from {@code seed}
     * and its name, so adding a layer does not change the others' values.
     */
    public static Map<String, float[]> initialize(Graph g, long seed) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Param p : g.params()) {
            float[] data = new float[Math.toIntExact(p.value().shape().numel(1))];
            SplittableRandom random = new SplittableRandom(seed ^ fingerprint(p.name()));
            Init init = p.init();
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) switch (init.kind()) {
                    case ZEROS -> 0.0;
                    case ONES -> 1.0;
                    case UNIFORM -> (2 * random.nextDouble() - 1) * init.scale();
                    case NORMAL -> gaussian(random) * init.scale();
                };
            }
            values.put(p.name(), data);
        }
        return values;
    }

    /** Reads every parameter of {@code g} from a safetensors file (PyTorch names and layouts). */
    public static Map<String, float[]> load(Graph g, Path file) throws WeightsException {
        try (Arena arena = Arena.ofConfined()) {
            Safetensors st;
            try {
                st = Safetensors.read(file, arena);
            } catch (MalformedFileException e) {
                throw new WeightsException(file + ": not a valid safetensors file: " + e.getMessage());
            } catch (java.nio.file.NoSuchFileException e) {
                throw new WeightsException(file + ": no such file", e);
            } catch (IOException e) {
                throw new WeightsException(file + ": cannot read: " + e.getMessage(), e);
            }
            Map<String, Safetensors.Entry> entries = new LinkedHashMap<>();
            for (Safetensors.Entry e : st.entries()) entries.put(e.name(), e);
            List<String> problems = new ArrayList<>();
            Map<String, float[]> values = new LinkedHashMap<>();
            for (Param p : g.params()) {
                Safetensors.Entry e = entries.remove(p.name());
                long[] expected = p.value().shape().sizes(1);
                if (e == null) {
                    problems.add("missing tensor `" + p.name() + "` " + Arrays.toString(expected));
                } else if (e.dtype() != DType.F32) {
                    problems.add("tensor `" + p.name() + "` is " + e.dtype() + ", expected F32");
                } else if (!Arrays.equals(e.shape(), expected)) {
                    problems.add("tensor `" + p.name() + "` has shape " + Arrays.toString(e.shape()) + ", the model expects " + Arrays.toString(expected));
                } else {
                    values.put(p.name(), st.tensor(p.name()).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
                }
            }
            for (String extra : entries.keySet()) {
                // PyTorch's BatchNorm counts its training steps; nnc does not need the count.
                boolean batchCount = extra.endsWith(".num_batches_tracked")
                        && values.containsKey(extra.substring(0, extra.length() - ".num_batches_tracked".length()) + ".running_mean");
                if (!batchCount) problems.add("unexpected tensor `" + extra + "` (the model has no such parameter)");
            }
            if (!problems.isEmpty()) {
                throw new WeightsException(file + " does not fit model " + g.name() + ":\n  " + String.join("\n  ", problems)
                        + "\n  the model's parameters are: " + g.params().stream().map(p -> p.name() + " " + Arrays.toString(p.value().shape().sizes(1))).toList());
            }
            return values;
        }
    }

    /** The parameters' bytes in declaration order, as the artifact stores them. */
    public static List<MemorySegment> segments(Graph g, Map<String, float[]> values) {
        return g.params().stream().map(p -> MemorySegment.ofArray(values.get(p.name()))).toList();
    }

    private static long fingerprint(String name) {
        long h = 1125899906842597L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = 31 * h + b;
        return h;
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}

package dev.nnc.compiler.kernel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the emitters consume: buffers, kernels in execution order, and where each input, output and
 * parameter lives. Weight buffers are named by parameter.
 */
public record KernelProgram(String name, int maxBatch, List<Buffer> buffers, List<Kernel> kernels,
                            Map<String, Operand> inputs, Map<String, Operand> outputs, Map<String, Buffer> params) {

    public KernelProgram {
        buffers = List.copyOf(buffers);
        kernels = List.copyOf(kernels);
        inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        outputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /** The program as text, one kernel per line, with the values each computes ({@code --emit kernels}). */
    public String print() {
        StringBuilder sb = new StringBuilder("kernels ").append(name).append("(max_batch=").append(maxBatch).append(") {\n");
        for (Buffer b : buffers) {
            sb.append("  buffer ").append(b).append(' ').append(b.memory().name().toLowerCase(java.util.Locale.ROOT))
                    .append(" floats=").append(b.size()).append('\n');
        }
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            sb.append("  k").append(i).append(": ").append(k).append("    # ").append(String.join(", ", k.computes())).append('\n');
        }
        return sb.append("}\n").toString();
    }
}

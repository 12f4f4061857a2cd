package dev.nnc.compiler.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * After this pass every unbatched GEMM of an inference program whose right operand is a whole parameter reads a copy
 * of that parameter laid out in the GEMM's panel format ({@link PackedWeight}), placed after the parameters, so no
 * inference call packs a constant weight. One copy serves every GEMM that reads the same parameter the same way.
 *
 * <p>Only for inference programs: a training step changes its weights, so it packs them as it goes. Convolutions need
 * no pass: their constant operand (the weight, [k, c·kh·kw]) is already in the row-major layout the GEMM reads best.
 */
public final class WeightLayout {

    /** Packed copies start on a cache line. */
    private static final long ALIGN_FLOATS = 16;

    private WeightLayout() {
    }

    /** {@code program} with its constant GEMM operands packed; the copies start at byte {@code paramBytes}. */
    public static KernelProgram packConstantWeights(KernelProgram program, long paramBytes) {
        Map<String, PackedWeight> copies = new LinkedHashMap<>();
        long next = align(Math.ceilDiv(paramBytes, Float.BYTES));
        List<Kernel> kernels = new ArrayList<>();
        for (Kernel kernel : program.kernels()) {
            switch (kernel) {
                case Kernel.Gemm g when packable(g, program) -> {
                    String param = paramName(program, g.b().buffer());
                    PackedWeight packed = copies.get(param + (g.transB() ? "ᵀ" : ""));
                    if (packed == null) {
                        packed = new PackedWeight(param, g.transB(), (int) g.k().factor(), (int) g.n().factor(), next);
                        copies.put(param + (g.transB() ? "ᵀ" : ""), packed);
                        next = align(next + packed.floats());
                    }
                    kernels.add(g.withPackedB(packed));
                }
                default -> kernels.add(kernel);   // only a GEMM reads a weight in a layout worth preparing
            }
        }
        return new KernelProgram(program.name(), program.maxBatch(), program.buffers(), kernels, program.inputs(),
                program.outputs(), program.params());
    }

    /** The distinct packed copies {@code program} reads, in order of first use. */
    public static List<PackedWeight> packedWeights(KernelProgram program) {
        Map<Long, PackedWeight> byOffset = new LinkedHashMap<>();
        for (Kernel kernel : program.kernels()) {
            switch (kernel) {
                case Kernel.Gemm g when g.packedB() != null -> byOffset.putIfAbsent(g.packedB().floatOffset(), g.packedB());
                default -> { }
            }
        }
        return List.copyOf(byOffset.values());
    }

    /** B is one whole parameter, dense as a k×n (or n×k) matrix, and the product is not batched. */
    private static boolean packable(Kernel.Gemm g, KernelProgram program) {
        Buffer b = g.b().buffer();
        if (b.memory() != Buffer.Memory.WEIGHTS || g.b().offset() != 0 || g.batched() || g.n().batch() || g.k().batch()
                || g.packedB() != null) {
            return false;
        }
        long k = g.k().factor();
        long n = g.n().factor();
        return g.ldb() == (g.transB() ? k : n) && b.size().factor() == k * n && !b.size().batch()
                && paramName(program, b) != null;
    }

    private static String paramName(KernelProgram program, Buffer buffer) {
        for (Map.Entry<String, Buffer> e : program.params().entrySet()) {
            if (e.getValue().equals(buffer)) {
                return e.getKey();
            }
        }
        return null;
    }

    private static long align(long floats) {
        return Math.ceilDiv(floats, ALIGN_FLOATS) * ALIGN_FLOATS;
    }
}

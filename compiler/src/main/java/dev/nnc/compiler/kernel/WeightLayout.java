package dev.nnc.compiler.kernel;

import dev.nnc.kernels.Gemm;
import dev.nnc.runtime.Manifest.PackedWeight;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * After this pass every unbatched GEMM of an inference program whose right operand is a whole parameter reads a copy
 * of that parameter laid out in the GEMM's panel format ({@link Gemm#packB}), placed after the parameters in the
 * weights segment the loader builds ({@link PackedWeight}), so no inference call packs a constant weight. One copy
 * serves every GEMM that reads the same parameter the same way.
 *
 * <p>Only for inference programs: a training step changes its weights, so it packs them as it goes. Convolutions need
 * no pass: their constant operand (the weight, [k, c·kh·kw]) is already in the row-major layout the GEMM reads best.
 */
public final class WeightLayout {

    /** Packed copies start on a cache line. */
    private static final long ALIGNMENT = 64;

    private WeightLayout() {
    }

    /** One copy per parameter and orientation. */
    private record Key(String param, boolean transposed) {}

    /** {@code program} with its constant GEMM operands packed; the copies start at byte {@code paramBytes}, aligned. */
    public static KernelProgram packConstantWeights(KernelProgram program, long paramBytes) {
        Map<Buffer, String> paramOf = new HashMap<>();
        program.params().forEach((name, buffer) -> paramOf.put(buffer, name));
        Map<Key, PackedWeight> copies = new LinkedHashMap<>();
        long next = align(paramBytes);
        List<Kernel> kernels = new ArrayList<>();
        for (Kernel kernel : program.kernels()) {
            switch (kernel) {
                case Kernel.Call c when c.call() instanceof LibraryCall.Gemm g && packable(g, paramOf) -> {
                    Key key = new Key(paramOf.get(g.b().buffer()), g.transB());
                    PackedWeight packed = copies.get(key);
                    if (packed == null) {
                        packed = new PackedWeight(key.param(), key.transposed(), (int) g.k().factor(), (int) g.n().factor(), next);
                        copies.put(key, packed);
                        next = align(next + packed.byteSize());
                    }
                    kernels.add(c.withCall(g.withPackedB(packed)));
                }
                default -> kernels.add(kernel);   // only a GEMM reads a weight in a layout worth preparing
            }
        }
        return new KernelProgram(program.name(), program.maxBatch(), program.buffers(), kernels, program.inputs(),
                program.outputs(), program.params());
    }

    /** The distinct packed copies {@code program} reads, by increasing offset (the order the manifest wants). */
    public static List<PackedWeight> packedWeights(KernelProgram program) {
        Map<Long, PackedWeight> byOffset = new TreeMap<>();
        for (Kernel kernel : program.kernels()) {
            switch (kernel) {
                case Kernel.Call c when c.call() instanceof LibraryCall.Gemm g && g.packedB() != null ->
                        byOffset.putIfAbsent(g.packedB().byteOffset(), g.packedB());
                default -> { }
            }
        }
        return List.copyOf(byOffset.values());
    }

    /** B is one whole parameter, dense as a k×n (or n×k) matrix, and the product is not batched. */
    private static boolean packable(LibraryCall.Gemm g, Map<Buffer, String> paramOf) {
        Buffer b = g.b().buffer();
        if (!paramOf.containsKey(b) || g.b().offset() != 0 || g.batched() || g.n().batch() || g.k().batch() || g.packedB() != null) {
            return false;
        }
        long k = g.k().factor();
        long n = g.n().factor();
        return g.ldb() == (g.transB() ? k : n) && !b.size().batch() && b.size().factor() == k * n;
    }

    private static long align(long bytes) {
        return Math.ceilDiv(bytes, ALIGNMENT) * ALIGNMENT;
    }
}

package dev.nnc.runtime;

import dev.nnc.kernels.Gemm;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Builds the weights segment an inference entry point runs with: the parameters, laid out like the data section of
 * {@code weights.safetensors}, followed by the copies {@link Manifest#packedWeights()} asks for, each packed once by
 * {@link Gemm#packB} so that no inference call packs a constant weight.
 */
final class PackedWeights {

    private PackedWeights() {
    }

    /**
     * Copies {@code params} (the data section) to the start of {@code target} unless they are already there, then writes
     * every packed copy; {@code target} holds {@link Manifest#runWeightsBytes()} bytes.
     */
    static void prepare(Manifest manifest, MemorySegment params, MemorySegment target) {
        if (params.address() != target.address()) {
            MemorySegment.copy(params, 0, target, 0, manifest.paramBytes());
        }
        List<TensorSpec> specs = manifest.params();
        List<Long> offsets = Safetensors.layout(specs);
        for (Manifest.PackedWeight p : manifest.packedWeights()) {
            long source = offsets.get(TensorSpec.indexOf(specs, p.param())) / Float.BYTES;   // the manifest checked it is there
            Gemm.packB(p.transposed(), p.k(), p.n(), target, source, p.transposed() ? p.k() : p.n(), target,
                    p.byteOffset() / Float.BYTES);
        }
    }
}

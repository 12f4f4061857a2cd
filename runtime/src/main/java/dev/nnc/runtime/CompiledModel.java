package dev.nnc.runtime;

import java.lang.foreign.MemorySegment;

/**
 * What every class the compiler generates implements: one inference over buffers in a session's arena.
 *
 * <p>An implementation is a {@code public final} class with a public no-arg constructor and no mutable state, so one
 * instance serves every session of a model, from any thread.
 */
public interface CompiledModel {

    /**
     * Runs the model once.
     *
     * @param arena   the session's native scratch arena of {@link Manifest#arenaBytes()} bytes, 64-byte aligned; inputs
     *                are at {@link Manifest#inputOffsets()}, outputs are written at {@link Manifest#outputOffsets()}
     * @param weights the read-only data section of {@code weights.safetensors}; parameter {@code i} is at
     *                {@code Safetensors.layout(params).get(i)}
     * @param batch   the batch size, {@code 1 ≤ batch ≤ maxBatch}; a batched buffer holds {@code batch} rows
     */
    void infer(MemorySegment arena, MemorySegment weights, int batch);
}

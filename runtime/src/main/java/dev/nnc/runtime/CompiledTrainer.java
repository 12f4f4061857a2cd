package dev.nnc.runtime;

import java.lang.foreign.MemorySegment;

/**
 * What the main class of a training artifact implements besides {@link CompiledModel}: one compiled training step
 * (forward, loss, backward, optimizer update) over a session's arena and its mutable state.
 *
 * <p>Like {@link CompiledModel}, an implementation is stateless: one instance serves every training session.
 */
public interface CompiledTrainer {

    /**
     * Takes one training step.
     *
     * @param arena the session's native scratch arena of {@link Manifest#arenaBytes()} bytes, 64-byte aligned; the batch is at
     *              {@link Training#inputOffsets()}, the hyperparameter scalars at {@link Training#hyperOffsets()}; the step
     *              writes its outputs (the scalar loss first) at {@link Training#outputOffsets()}
     * @param state the session's writable state of {@link Training#stateBytes()} bytes, 64-byte aligned: the parameters at
     *              {@code Safetensors.layout(params)} offsets, then the optimizer slots at {@link Training#slotOffsets()};
     *              the step updates both in place
     * @param batch the batch size, {@code 1 ≤ batch ≤ maxBatch}
     */
    void trainStep(MemorySegment arena, MemorySegment state, int batch);
}

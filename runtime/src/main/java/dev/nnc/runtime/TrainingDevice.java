package dev.nnc.runtime;

import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * Where a {@link TrainingSession}'s steps run when they do not run on the JVM: a device (an OpenCL GPU, say) that keeps
 * its own copy of the arena and of the state (parameters, then optimizer slots) resident between steps. The session
 * keeps the host state for checkpoints and weights files and moves it across only when it must: up when it is
 * created or restored, back before anything reads it.
 *
 * <p>A device belongs to one session, which closes it.
 */
public interface TrainingDevice extends AutoCloseable {

    /** Replaces the device's state with {@code state} ({@link Training#stateBytes()} bytes). */
    void writeState(MemorySegment state);

    /** Copies the device's state into {@code state}. */
    void readState(MemorySegment state);

    /**
     * Takes one training step: copies the batch and hyperparameters from {@code hostArena} (at their offsets in
     * {@link Training}) to the device, runs the step there, and copies its outputs back into {@code hostArena} at
     * {@link Training#outputOffsets()}.
     */
    void trainStep(MemorySegment hostArena, int batch);

    /** Runs the inference entry point on the device's current parameters; {@code inputs} are validated already. */
    Map<String, Tensor> infer(Map<String, Tensor> inputs, int batch);

    @Override
    void close();
}

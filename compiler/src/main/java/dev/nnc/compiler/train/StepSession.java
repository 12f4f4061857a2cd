package dev.nnc.compiler.train;

import dev.nnc.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the {@link Trainer} needs from a training session: the runtime's {@code TrainingSession} through
 * {@link RuntimeStepSession}, or a plain-Java model in tests. Confined to the thread that uses it.
 */
public interface StepSession {

    /** Takes one optimizer step on {@code batch} (every batch input by name) and returns the loss. */
    float trainStep(Map<String, Tensor> batch);

    /** An output of the last step, e.g. {@code logits}. */
    Tensor output(String name);

    /** Runs the model (inference, dropout off) on the current weights. */
    Map<String, Tensor> infer(Map<String, Tensor> inputs);

    /** Sets the 0-based epoch that drives the learning-rate schedule. */
    void setEpoch(int epoch);

    /** Steps taken so far. */
    long step();

    /** The learning rate of the current epoch. */
    double learningRate();

    /** Writes the parameters as safetensors, atomically. */
    void saveWeights(Path file) throws IOException;

    /** Writes parameters, optimizer state and metadata (plus {@code extra}) as safetensors, atomically. */
    void saveCheckpoint(Path file, Map<String, String> extra) throws IOException;
}

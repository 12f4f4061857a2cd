package dev.nnc.compiler.train;

import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TrainingSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** A {@link StepSession} over the runtime's compiled {@link TrainingSession}. Confined to the session's thread. */
public record RuntimeStepSession(TrainingSession session) implements StepSession {

    public RuntimeStepSession {
        Objects.requireNonNull(session, "session");
    }

    @Override
    public float trainStep(Map<String, Tensor> batch) {
        return session.trainStep(batch);
    }

    @Override
    public Tensor output(String name) {
        return session.output(name);
    }

    @Override
    public Map<String, Tensor> infer(Map<String, Tensor> inputs) {
        return session.infer(inputs);
    }

    @Override
    public void setEpoch(int epoch) {
        session.setEpoch(epoch);
    }

    @Override
    public long step() {
        return session.step();
    }

    @Override
    public double learningRate() {
        return session.learningRate();
    }

    @Override
    public void saveWeights(Path file) throws IOException {
        session.saveWeights(file);
    }

    @Override
    public void saveCheckpoint(Path file, Map<String, String> extra) throws IOException {
        session.saveCheckpoint(file, extra);
    }
}

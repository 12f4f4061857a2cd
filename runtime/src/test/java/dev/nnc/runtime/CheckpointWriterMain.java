package dev.nnc.runtime;

import java.nio.file.Path;
import java.util.Map;

/**
 * The child process of {@link CheckpointCrashTest}: resumes training the large toy model from a checkpoint, prints
 * {@code ready}, then takes a step and saves the checkpoint over itself, printing {@code saved <step>} after each save,
 * again and again, until it is killed.
 *
 * <p>Arguments: the artifact, the checkpoint.
 */
public final class CheckpointWriterMain {

    /** The batch every step trains on, so the parent can recompute the parameters of any step. */
    static final Map<String, Tensor> BATCH = Map.of(
            "x", Tensor.of(new float[] {1f, -0.5f, 0.25f, 2f, -1f, 0.5f, 1f, 0f}, 2, TrainableArtifact.FEATURES),
            "y", Tensor.ofInts(new int[] {0, 3}, 2));

    private CheckpointWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path checkpoint = Path.of(args[1]);
        try (NncModel model = NncModel.load(Path.of(args[0])); TrainingSession session = model.newTrainingSession(checkpoint)) {
            System.out.println("ready");
            System.out.flush();
            while (true) {
                session.trainStep(BATCH);
                session.saveCheckpoint(checkpoint, Map.of("writer", "child"));
                System.out.println("saved " + session.step());
                System.out.flush();
            }
        }
    }
}

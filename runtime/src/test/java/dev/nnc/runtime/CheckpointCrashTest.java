package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM ({@link CheckpointWriterMain}) that keeps overwriting an 8 MB checkpoint, at random moments after its first save, and
 * checks that the checkpoint left behind always loads and is the complete state of one step: its step count, every
 * element of the large parameter, and the small parameter and slot all agree with that step.
 *
 * <p>A save takes 20–70 ms here and a kill comes 0–200 ms after the writer's first save, so about every other kill lands
 * inside a save (in trial runs, 1 or 2 of 4 kills left a temporary file behind); the test does not depend on it.
 */
class CheckpointCrashTest {

    private static final int BIG_ELEMENTS = 2 << 20;
    private static final int KILLS = 5;

    @TempDir
    Path dir;

    @Test
    void aKilledWriterLeavesAWholeCheckpoint() throws Exception {
        Path artifact = TrainableArtifact.write(dir.resolve("big.nnc"), Training.Schedule.constant(), Map.of(), BIG_ELEMENTS);
        Path checkpoint = dir.resolve("run.ckpt.safetensors");
        try (NncModel model = NncModel.load(artifact); TrainingSession fresh = model.newTrainingSession()) {
            fresh.saveCheckpoint(checkpoint, Map.of("writer", "parent"));
        }
        Random random = new Random(20261121);
        long lastStep = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Process child = startWriter(artifact, checkpoint);
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("ready", out.readLine(), "the writer did not start; see its stderr above");
                String saved = out.readLine();
                assertTrue(saved != null && saved.startsWith("saved "), "the writer did not save; see its stderr above");
                Thread.sleep(random.nextInt(200));
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed writer did not exit");
            }
            long step = assertWholeCheckpoint(artifact, checkpoint);
            assertTrue(step >= lastStep, "the checkpoint went back from step " + lastStep + " to " + step);
            lastStep = step;
        }
        assertTrue(lastStep > 0, "no writer ever completed a checkpoint, so nothing was tested");
    }

    /** Resumes from the checkpoint, checks that everything in it belongs to the same step, and returns that step. */
    private static long assertWholeCheckpoint(Path artifact, Path checkpoint) throws Exception {
        try (NncModel model = NncModel.load(artifact); TrainingSession session = model.newTrainingSession(checkpoint)) {
            long step = session.step();
            assertEquals(Long.toString(step), session.checkpointMetadata().get("nnc_step"));
            float[] big = session.weight("big").toFloatArray();
            for (int j = 0; j < big.length; j++) {
                if (big[j] != step) {
                    throw new AssertionError("big[" + j + "] = " + big[j] + " in the checkpoint of step " + step + ": a torn checkpoint");
                }
            }
            float[] w = TrainableArtifact.W0.clone();
            float[] m = new float[TrainableArtifact.FEATURES];
            float[] x = CheckpointWriterMain.BATCH.get("x").toFloatArray();
            int[] y = CheckpointWriterMain.BATCH.get("y").toIntArray();
            for (long t = 0; t < step; t++) {
                TrainableArtifact.referenceStep(w, m, 0.125f, x, y);
            }
            assertArrayEquals(w, session.weight("w").toFloatArray(), 0f, "w at step " + step);
            assertArrayEquals(m, session.weight("w.momentum_buffer").toFloatArray(), 0f, "slot at step " + step);
            return step;
        }
    }

    private static Process startWriter(Path artifact, Path checkpoint) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), CheckpointWriterMain.class.getName(), artifact.toString(), checkpoint.toString());
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}

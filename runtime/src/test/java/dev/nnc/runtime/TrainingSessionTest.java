package dev.nnc.runtime;

import static dev.nnc.runtime.TrainableArtifact.FEATURES;
import static dev.nnc.runtime.TrainableArtifact.W0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TrainingSession} on {@link TrainableArtifact}: the compiled step against the same arithmetic in Java, the
 * hyperparameters each step receives, save and resume, weights files, and the checks on batches and threads.
 *
 * <p>The artifact and the Java reference do the same f32 operations in the same order (Java never contracts to FMA),
 * so parameters, slots, losses and outputs are compared for exact equality.
 */
class TrainingSessionTest {

    private static final float[] X2 = {1f, 2f, -1f, 0.5f, 0.25f, -3f, 4f, 1f};
    private static final int[] Y2 = {1, 3};
    private static final float[] X3 = {0.5f, 0.5f, 1f, -2f, 1f, 0f, 0f, 1f, -1f, 2f, 3f, 0.125f};
    private static final int[] Y3 = {0, 2, 1};

    @TempDir
    Path dir;

    @Test
    void stepsUpdateParamsAndSlotsInPlaceAndPersist() throws Exception {
        try (NncModel model = NncModel.load(artifact(Training.Schedule.constant(), Map.of()));
             TrainingSession session = model.newTrainingSession()) {
            assertTrue(model.isTrainable());
            assertArrayEquals(W0, session.weight("w").toFloatArray(), 0f);
            assertArrayEquals(new float[FEATURES], session.weight("w.momentum_buffer").toFloatArray(), 0f);
            float[] w = W0.clone();
            float[] m = new float[FEATURES];
            float expected = TrainableArtifact.referenceStep(w, m, 0.125f, X2, Y2);
            assertEquals(expected, session.trainStep(batch(X2, Y2)), 0f);
            expected = TrainableArtifact.referenceStep(w, m, 0.125f, X3, Y3);
            assertEquals(expected, session.trainStep(batch(X3, Y3)), 0f);
            assertEquals(2, session.step());
            assertArrayEquals(w, session.weight("w").toFloatArray(), 0f);
            assertArrayEquals(m, session.weight("w.momentum_buffer").toFloatArray(), 0f);
            assertEquals(expected, session.output("loss").getFloat(), 0f);
            Tensor scores = session.output("scores");
            assertArrayEquals(new long[] {3, FEATURES}, scores.shape());
            assertArrayEquals(TrainableArtifact.referenceScores(w, X3), scores.toFloatArray(), 0f);
        }
    }

    @Test
    void inferSeesTheTrainedWeightsAndLeavesTheStepOutputsAlone() throws Exception {
        try (NncModel model = NncModel.load(artifact(Training.Schedule.constant(), Map.of()));
             TrainingSession session = model.newTrainingSession();
             Session plain = model.newSession()) {
            session.trainStep(batch(X2, Y2));
            float[] w = W0.clone();
            TrainableArtifact.referenceStep(w, new float[FEATURES], 0.125f, X2, Y2);
            Map<String, Tensor> input = Map.of("x", Tensor.of(X3, 3, FEATURES));
            assertArrayEquals(TrainableArtifact.referenceScores(w, X3), session.infer(input).get("scores").toFloatArray(), 0f);
            assertArrayEquals(TrainableArtifact.referenceScores(W0, X3), plain.run(input).get("scores").toFloatArray(), 0f,
                    "the model's own weights are not touched by training");
            assertArrayEquals(TrainableArtifact.referenceScores(w, X2), session.output("scores").toFloatArray(), 0f);
            assertArrayEquals(new long[] {2, FEATURES}, session.output("scores").shape());
        }
    }

    @Test
    void learningRateFollowsEachScheduleByEpoch() throws Exception {
        // Expected values from the schedules' closed forms, written out independently of Training.Schedule.
        assertRatesArrive(Training.Schedule.constant(), new int[] {0, 1, 7}, e -> 0.125);
        assertRatesArrive(Training.Schedule.step(2, 0.5), new int[] {0, 1, 2, 3, 4, 9}, e -> 0.125 * Math.pow(0.5, e / 2));
        assertRatesArrive(Training.Schedule.cosine(4, 0.01), new int[] {0, 1, 2, 4, 6, 8},
                e -> 0.01 + (0.125 - 0.01) * (1 + Math.cos(Math.PI * e / 4)) / 2);
    }

    @Test
    void adamBiasCorrectionsAndSeedsFollowTheStep() throws Exception {
        double[] bias1 = {0.1, 0.19, 0.271};
        double[] bias2Sqrt = {0.031622776601683805, 0.04471017781221601, 0.05474487190596028};
        try (NncModel model = NncModel.load(artifact(Training.Schedule.constant(), Map.of("seed", "42", "batch", "2")));
             TrainingSession session = model.newTrainingSession()) {
            int previousSeed = 0;
            for (int t = 1; t <= 3; t++) {
                session.trainStep(batch(X2, Y2));
                float[] echo = session.output("echo").toFloatArray();
                // f32 holds these to a relative 6e-8; 1e-7 absolute is about two ulps at 0.27.
                assertEquals(bias1[t - 1], echo[1], 1e-7, "adam_bias1 at t = " + t);
                assertEquals(bias2Sqrt[t - 1], echo[2], 1e-8, "adam_bias2_sqrt at t = " + t);
                int seed = session.output("seed_echo").getInt();
                assertEquals(Hyperparameters.dropoutSeed(42, t), seed);
                assertNotEquals(previousSeed, seed, "each step gets a new dropout seed");
                previousSeed = seed;
            }
            assertEquals("2", model.manifest().training().settings().get("batch"));
        }
    }

    @Test
    void dropoutSeedIsSplitMix64() {
        // SplitMix64 seeded with 0 first outputs 0xE220A8397B1DCDAF = mix64(0x9E3779B97F4A7C15): seed setting 1, step 0.
        assertEquals(0xE220A8397B1DCDAFL, Hyperparameters.mix64(0x9E3779B97F4A7C15L));
        assertEquals((int) 0x7B1DCDAFL, Hyperparameters.dropoutSeed(1, 0));
        assertNotEquals(Hyperparameters.dropoutSeed(1, 5), Hyperparameters.dropoutSeed(2, 5));
    }

    @Test
    void checkpointsResumeExactly() throws Exception {
        Path artifact = artifact(Training.Schedule.step(1, 0.5), Map.of("seed", "7"));
        Path checkpoint = dir.resolve("run.ckpt.safetensors");
        try (NncModel model = NncModel.load(artifact); TrainingSession original = model.newTrainingSession()) {
            original.setEpoch(1);
            original.trainStep(batch(X2, Y2));
            original.trainStep(batch(X3, Y3));
            original.setEpoch(2);
            original.trainStep(batch(X2, Y2));
            original.saveCheckpoint(checkpoint, Map.of("best_val_loss", "0.5", "patience", "2"));
            assertThrows(IllegalArgumentException.class, () -> original.saveCheckpoint(checkpoint, Map.of("nnc_step", "9")));
            try (TrainingSession resumed = model.newTrainingSession(checkpoint)) {
                assertEquals(3, resumed.step());
                assertEquals(2, resumed.epoch());
                assertEquals(original.learningRate(), resumed.learningRate(), 0);
                assertEquals(Map.of("nnc_model", "Toy", "nnc_step", "3", "nnc_epoch", "2", "best_val_loss", "0.5", "patience", "2"),
                        resumed.checkpointMetadata());
                for (String name : List.of("w", "w.momentum_buffer")) {
                    assertArrayEquals(original.weight(name).toFloatArray(), resumed.weight(name).toFloatArray(), 0f, name);
                }
                assertEquals(original.trainStep(batch(X3, Y3)), resumed.trainStep(batch(X3, Y3)), 0f);
                assertEquals(original.output("seed_echo").getInt(), resumed.output("seed_echo").getInt());
                assertArrayEquals(original.output("echo").toFloatArray(), resumed.output("echo").toFloatArray(), 0f);
                assertArrayEquals(original.weight("w").toFloatArray(), resumed.weight("w").toFloatArray(), 0f);
            }
            assertEquals(Map.of(), original.checkpointMetadata());
        }
    }

    @Test
    void resumingRefusesCheckpointsOfAnotherShape() throws Exception {
        Path weights = dir.resolve("w.safetensors");
        try (NncModel model = NncModel.load(artifact(Training.Schedule.constant(), Map.of()));
             TrainingSession session = model.newTrainingSession()) {
            session.saveWeights(weights);
            assertMessage(ArtifactException.class, "checkpoint " + weights + " has no tensor w.momentum_buffer, which the model needs as f32[4]",
                    () -> model.newTrainingSession(weights));
            Path noStep = dir.resolve("nostep.safetensors");
            writeTensors(noStep, Map.of(), TensorSpec.of("w", DType.F32, 4), TensorSpec.of("w.momentum_buffer", DType.F32, 4));
            assertMessage(ArtifactException.class, "checkpoint " + noStep + " needs metadata nnc_step holding an integer",
                    () -> model.newTrainingSession(noStep));
            Path bigCheckpoint = dir.resolve("big.safetensors");
            try (NncModel big = NncModel.load(TrainableArtifact.write(dir.resolve("big.nnc"), Training.Schedule.constant(), Map.of(), 8));
                 TrainingSession bigSession = big.newTrainingSession()) {
                bigSession.saveCheckpoint(bigCheckpoint, Map.of());
            }
            assertMessage(ArtifactException.class, "checkpoint " + bigCheckpoint + " holds tensor big, which the model does not have",
                    () -> model.newTrainingSession(bigCheckpoint));
        }
    }

    @Test
    void loadsTheArtifactWithSavedWeights() throws Exception {
        Path artifact = artifact(Training.Schedule.constant(), Map.of());
        Path weights = dir.resolve("trained.safetensors");
        float[] trained;
        try (NncModel model = NncModel.load(artifact); TrainingSession session = model.newTrainingSession()) {
            session.trainStep(batch(X2, Y2));
            session.saveWeights(weights);
            trained = session.weight("w").toFloatArray();
        }
        try (NncModel model = NncModel.load(artifact, weights); Session session = model.newSession();
             TrainingSession training = model.newTrainingSession()) {
            assertEquals(0, model.weights().address() % 64, "copied weights are 64-byte aligned");
            assertTrue(model.weights().isReadOnly());
            Map<String, Tensor> input = Map.of("x", Tensor.of(X2, 2, FEATURES));
            assertArrayEquals(TrainableArtifact.referenceScores(trained, X2), session.run(input).get("scores").toFloatArray(), 0f);
            assertArrayEquals(trained, training.weight("w").toFloatArray(), 0f, "a training session starts from the loaded weights");
        }
        Safetensors stored = Safetensors.read(weights);
        assertEquals(List.of(TensorSpec.of("w", DType.F32, 4)), stored.entries().stream().map(Safetensors.Entry::spec).toList());
        assertEquals(Map.of("format", "pt", "nnc_model", "Toy"), stored.metadata());
    }

    @Test
    void refusesWeightsFilesThatDoNotMatchTheParams() throws Exception {
        Path artifact = artifact(Training.Schedule.constant(), Map.of());
        Path shaped = writeTensors(dir.resolve("shape.safetensors"), Map.of(), TensorSpec.of("w", DType.F32, 5));
        assertLoadRefused(artifact, shaped, "weights file " + shaped + " holds tensor w as f32[5], but the model needs f32[4]");
        Path typed = writeTensors(dir.resolve("type.safetensors"), Map.of(), TensorSpec.of("w", DType.I32, 4));
        assertLoadRefused(artifact, typed, "holds tensor w as i32[4], but the model needs f32[4]");
        Path missing = writeTensors(dir.resolve("missing.safetensors"), Map.of(), TensorSpec.of("v", DType.F32, 4));
        assertLoadRefused(artifact, missing, "weights file " + missing + " has no tensor w, which the model needs as f32[4]");
        Path extra = writeTensors(dir.resolve("extra.safetensors"), Map.of(), TensorSpec.of("w", DType.F32, 4), TensorSpec.of("v", DType.F32, 1));
        assertLoadRefused(artifact, extra, "weights file " + extra + " holds tensor v, which the model does not have");
        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, new byte[] {1, 2, 3});
        assertLoadRefused(artifact, garbage, "is not a valid safetensors file");
        assertLoadRefused(artifact, dir.resolve("absent.safetensors"), "does not exist");
    }

    @Test
    void validatesTheBatchBeforeTakingAStep() throws Exception {
        try (NncModel model = NncModel.load(artifact(Training.Schedule.constant(), Map.of()));
             TrainingSession session = model.newTrainingSession()) {
            assertMessage(IllegalArgumentException.class, "target y: label 4 at row 1 is outside [0, 4), the classes of output scores: f32[B, 4]",
                    () -> session.trainStep(batch(X2, new int[] {3, 4})));
            assertMessage(IllegalArgumentException.class, "target y: label -1 at row 0 is outside [0, 4)",
                    () -> session.trainStep(batch(X2, new int[] {-1, 0})));
            assertMessage(IllegalArgumentException.class, "input y has batch 3, but input x has batch 2; all inputs must share B",
                    () -> session.trainStep(Map.of("x", Tensor.of(X2, 2, FEATURES), "y", Tensor.ofInts(Y3, 3))));
            assertMessage(IllegalArgumentException.class, "input x: expected f32[B, 4] with 1 ≤ B ≤ 3, got f32[4, 2]",
                    () -> session.trainStep(Map.of("x", Tensor.of(X2, 4, 2), "y", Tensor.ofInts(Y2, 2))));
            assertMessage(IllegalArgumentException.class, "input y: expected i32[B] with 1 ≤ B ≤ 3, got f32[2]",
                    () -> session.trainStep(Map.of("x", Tensor.of(X2, 2, FEATURES), "y", Tensor.of(new float[2], 2))));
            assertMessage(IllegalArgumentException.class, "missing input 'y'; expected inputs: x: f32[B, 4], y: i32[B]",
                    () -> session.trainStep(Map.of("x", Tensor.of(X2, 2, FEATURES))));
            assertEquals(0, session.step(), "a refused batch takes no step");
            assertArrayEquals(W0, session.weight("w").toFloatArray(), 0f);
            assertMessage(IllegalStateException.class, "no training step has been taken yet", () -> session.output("loss"));
            assertMessage(IllegalArgumentException.class, "unknown training output 'probs'", () -> session.output("probs"));
            assertMessage(IllegalArgumentException.class, "no parameter or slot 'v'", () -> session.weight("v"));
            assertMessage(IllegalArgumentException.class, "epoch must not be negative", () -> session.setEpoch(-1));
        }
    }

    @Test
    void isConfinedToItsThreadAndRefusedWhenClosed() throws Exception {
        NncModel model = NncModel.load(artifact(Training.Schedule.constant(), Map.of()));
        TrainingSession session = model.newTrainingSession();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> CompletableFuture.runAsync(() -> session.trainStep(batch(X2, Y2))).get());
        assertTrue(e.getCause() instanceof WrongThreadException, e.toString());
        e = assertThrows(ExecutionException.class, () -> CompletableFuture.runAsync(session::step).get());
        assertTrue(e.getCause() instanceof WrongThreadException, e.toString());
        session.close();
        assertMessage(IllegalStateException.class, "training session of model Toy is closed", () -> session.trainStep(batch(X2, Y2)));
        TrainingSession other = model.newTrainingSession();
        model.close();
        assertMessage(IllegalStateException.class, "model Toy is closed", other::step);
        other.close();
    }

    @Test
    void anInferenceOnlyModelCannotBeTrained() throws Exception {
        Path artifact = TrainableArtifact.write(dir.resolve("infer.nnc"), TrainableArtifact.manifest(null, 0),
                TrainableArtifact.mainClass(0, false));
        try (NncModel model = NncModel.load(artifact)) {
            assertFalse(model.isTrainable());
            assertMessage(IllegalStateException.class, "model Toy has no training entry point", model::newTrainingSession);
        }
    }

    private void assertRatesArrive(Training.Schedule schedule, int[] epochs, IntToDoubleFunction expected) throws Exception {
        try (NncModel model = NncModel.load(artifact(schedule, Map.of())); TrainingSession session = model.newTrainingSession()) {
            for (int epoch : epochs) {
                session.setEpoch(epoch);
                double rate = expected.applyAsDouble(epoch);
                // The same formula in double may round differently in the last place: 1e-15 relative.
                assertEquals(rate, session.learningRate(), Math.abs(rate) * 1e-15, schedule + " at epoch " + epoch);
                session.trainStep(batch(X2, Y2));
                assertEquals((float) rate, session.output("echo").toFloatArray()[0], Math.ulp((float) rate),
                        "lr received by the step, " + schedule + " at epoch " + epoch);
            }
        }
    }

    private Path artifact(Training.Schedule schedule, Map<String, String> settings) throws Exception {
        return TrainableArtifact.write(dir.resolve("toy-" + schedule.kind() + ".nnc"), schedule, settings, 0);
    }

    private static Map<String, Tensor> batch(float[] x, int[] y) {
        return Map.of("x", Tensor.of(x, y.length, FEATURES), "y", Tensor.ofInts(y, y.length));
    }

    /** Writes a safetensors file holding {@code specs}: f32 elements 1, i32 elements 0. */
    private static Path writeTensors(Path file, Map<String, String> metadata, TensorSpec... specs) throws Exception {
        List<MemorySegment> data = Arrays.stream(specs).map(s -> s.dtype() == DType.F32
                ? MemorySegment.ofArray(filled((int) s.rowElements())) : MemorySegment.ofArray(new int[(int) s.rowElements()])).toList();
        Safetensors.write(file, List.of(specs), data, metadata);
        return file;
    }

    private static float[] filled(int n) {
        float[] values = new float[n];
        Arrays.fill(values, 1f);
        return values;
    }

    private static void assertLoadRefused(Path artifact, Path weights, String fragment) {
        ArtifactException e = assertThrows(ArtifactException.class, () -> NncModel.load(artifact, weights).close());
        assertTrue(e.getMessage().startsWith("cannot load " + artifact + " with weights " + weights + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "message was: " + e.getMessage());
    }

    private static <T extends Throwable> void assertMessage(Class<T> type, String prefix, Executable call) {
        T e = assertThrows(type, call);
        assertTrue(e.getMessage().startsWith(prefix), () -> "message was: " + e.getMessage());
    }
}

package dev.nnc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The {@code training} section of the manifest: its JSON form, its validation, and the learning-rate schedules. */
class TrainingManifestTest {

    private static final TensorSpec LOSS = TensorSpec.of("loss", DType.F32);
    private static final TensorSpec SLOT = TensorSpec.of("w.momentum_buffer", DType.F32, 4);
    private static final Training.Optimizer ADAM = TrainableArtifact.adam(Training.Schedule.cosine(10, 0.001));

    @TempDir
    Path dir;

    @Test
    void roundTripsThroughJson() throws Exception {
        Training training = TrainableArtifact.training(ADAM, Map.of("batch", "64", "seed", "3", "early_stop_metric", "val_loss"), 0);
        Manifest manifest = TrainableArtifact.manifest(training, 0).withPackaging(Map.of("model.ir", "ab"), 0);
        Manifest read = Manifest.fromJson(manifest.toJson());
        assertEquals(manifest, read);
        assertEquals(3, read.training().seedSetting());
        assertTrue(manifest.toJson().contains("\"state_offset\": 64"), manifest.toJson());
        Training sgd = TrainableArtifact.training(new Training.Optimizer(Training.Optimizer.Kind.SGD, 0.5, 0.9, true, 0, 0, 0, 1e-4, Training.Schedule.step(3, 0.1)),
                Map.of(), 0);
        Manifest withSgd = TrainableArtifact.manifest(sgd, 0);
        assertEquals(withSgd, Manifest.fromJson(withSgd.toJson()));
    }

    @Test
    void inferenceOnlyManifestsHaveNoTrainingSection() throws Exception {
        Manifest manifest = TrainableArtifact.manifest(null, 0);
        assertFalse(manifest.toJson().contains("\"training\""), "format unchanged for inference-only artifacts");
        assertNull(Manifest.fromJson(manifest.toJson()).training());
        String explicitNull = manifest.toJson().replace("\"entry_sha256\": {}", "\"entry_sha256\": {},\n  \"training\": null");
        assertNull(Manifest.fromJson(explicitNull).training());
    }

    @Test
    void refusesUnknownHyperparametersAndMissingFieldsAtLoad() throws Exception {
        String json = TrainableArtifact.manifest(TrainableArtifact.training(ADAM, Map.of(), 0), 0).toJson();
        String unknown = json.replace("\"name\": \"adam_bias1\"", "\"name\": \"momentum\"");
        assertRefused("manifest.json is inconsistent: hyperparameter 'momentum' is not one of lr, adam_bias1, adam_bias2_sqrt, seed; recompile",
                unknown);
        String noEtaMin = json.replaceAll(",\\s*\"eta_min\": [0-9.eE-]+", "");
        assertRefused("manifest.json has no field \"training.optimizer.schedule.eta_min\"; recompile", noEtaMin);
        String textLr = json.replace("\"lr\": 0.125", "\"lr\": \"fast\"");
        assertRefused("manifest.json field \"training.optimizer.lr\" must be a number, got a string", textLr);
        String badSlotOffset = json.replace("\"state_offset\": 64", "\"state_offset\": \"64\"");
        assertRefused("manifest.json field \"training.slots[].state_offset\" must be an integer", badSlotOffset);
    }

    @Test
    void refusesTrainingThatDoesNotFitTheModel() {
        long b = TensorSpec.BATCH;
        List<TensorSpec> inputs = List.of(TensorSpec.of("x", DType.F32, b, 4), TensorSpec.of("y", DType.I32, b));
        List<TensorSpec> hyper = List.of(TensorSpec.of("lr", DType.F32));
        assertInvalid("slot w.momentum_buffer: f32[4] at state offset 0 overlaps the parameters, which take state bytes [0, 16)",
                () -> manifestWith(inputs, List.of(128L, 192L), hyper, List.of(256L), List.of(SLOT), List.of(0L), 128));
        assertInvalid("slot v.exp_avg is not named <param>.<slot> after a parameter of the model",
                () -> manifestWith(inputs, List.of(128L, 192L), hyper, List.of(256L), List.of(TensorSpec.of("v.exp_avg", DType.F32, 4)),
                        List.of(64L), 128));
        assertInvalid("slot w.exp_avg at state offset 72 overlaps slot w.momentum_buffer at 64",
                () -> manifestWith(inputs, List.of(128L, 192L), hyper, List.of(256L),
                        List.of(SLOT, TensorSpec.of("w.exp_avg", DType.F32, 4)), List.of(64L, 72L), 128));
        assertInvalid("slot w.momentum_buffer: f32[4] at state offset 120 (16 bytes) is misaligned or does not fit the state of 128 bytes",
                () -> manifestWith(inputs, List.of(128L, 192L), hyper, List.of(256L), List.of(SLOT), List.of(120L), 128));
        assertInvalid("training state of 8 bytes cannot hold the 16 bytes of parameters",
                () -> manifestWith(inputs, List.of(128L, 192L), hyper, List.of(256L), List.of(), List.of(), 8));
        assertInvalid("training y: i32[B] at arena offset 192 overlaps lr: f32[] at 196 at batch 3",
                () -> manifestWith(inputs, List.of(128L, 192L), hyper, List.of(196L), List.of(SLOT), List.of(64L), 128));
        assertInvalid("training input x: f32[B, 4] at arena offset 480 (48 bytes at batch 3) is misaligned or does not fit the arena of 512 bytes",
                () -> manifestWith(inputs, List.of(480L, 192L), hyper, List.of(256L), List.of(SLOT), List.of(64L), 128));
        assertInvalid("hyperparameter seed: f32[] must be a scalar i32[]",
                () -> manifestWith(inputs, List.of(128L, 192L), List.of(TensorSpec.of("seed", DType.F32)), List.of(256L), List.of(SLOT),
                        List.of(64L), 128));
        assertInvalid("the first training output must be loss: f32[], got scores: f32[B, 4]",
                () -> new Training(inputs, List.of(128L, 192L), hyper, List.of(256L), List.of(TensorSpec.of("scores", DType.F32, b, 4)),
                        List.of(320L), List.of(), List.of(), 16, ADAM, Map.of()));
        assertInvalid("training setting seed = 'abc' is not an integer",
                () -> new Training(inputs, List.of(128L, 192L), hyper, List.of(256L), List.of(LOSS), List.of(320L), List.of(), List.of(), 16,
                        ADAM, Map.of("seed", "abc")));
    }

    @Test
    void refusesUnknownOptimizersAndBadSchedules() {
        assertInvalid("optimizer kind 'rmsprop' is not one of sgd, adam, adamw",
                () -> new Training.Optimizer(Training.Optimizer.Kind.of("rmsprop"), 0.1, 0, false, 0.9, 0.999, 1e-8, 0, Training.Schedule.constant()));
        assertInvalid("optimizer betas must lie in [0, 1), got beta1 = 1.0",
                () -> new Training.Optimizer(Training.Optimizer.Kind.ADAM, 0.1, 0, false, 1, 0.999, 1e-8, 0, Training.Schedule.constant()));
        assertInvalid("optimizer lr must be finite and positive, got NaN",
                () -> new Training.Optimizer(Training.Optimizer.Kind.SGD, Double.NaN, 0, false, 0, 0, 0, 0, Training.Schedule.constant()));
        assertInvalid("schedule kind 'linear' is not one of constant, step, cosine", () -> new Training.Schedule(Training.Schedule.Kind.of("linear"), 1, 1, 1, 0));
        assertInvalid("a step schedule needs step_size ≥ 1", () -> Training.Schedule.step(0, 0.5));
        assertInvalid("a cosine schedule needs t_max ≥ 1, got 0", () -> Training.Schedule.cosine(0, 0));
        assertInvalid("epoch must not be negative, got -1", () -> ADAM.learningRate(-1));
    }

    @Test
    void schedulesMatchPyTorchsClosedForms() {
        // StepLR(lr=0.1, step_size=3, gamma=0.1): epochs 0-2 at 0.1, 3-5 at 0.01, 6 at 0.001.
        // 1e-16 (a few ulps here) absorbs the rounding of pow, cos and of π itself (cos(π/2) is 6e-17, not 0).
        Training.Schedule step = Training.Schedule.step(3, 0.1);
        assertEquals(0.1, step.learningRate(0.1, 2), 0);
        assertEquals(0.01, step.learningRate(0.1, 3), 1e-16);
        assertEquals(0.001, step.learningRate(0.1, 6), 1e-16);
        // CosineAnnealingLR(lr=0.1, T_max=10, eta_min=0): half way 0.05, 0 at T_max, and past T_max it rises again.
        Training.Schedule cosine = Training.Schedule.cosine(10, 0);
        assertEquals(0.1, cosine.learningRate(0.1, 0), 0);
        assertEquals(0.05, cosine.learningRate(0.1, 5), 1e-16);
        assertEquals(0, cosine.learningRate(0.1, 10), 1e-16);
        assertEquals(0.05, cosine.learningRate(0.1, 15), 1e-16);
        assertEquals(0.1, cosine.learningRate(0.1, 20), 1e-16);
        assertEquals(0.1, Training.Schedule.constant().learningRate(0.1, 1000), 0);
    }

    @Test
    void refusesATrainingArtifactWhoseMainClassCannotTrain() throws Exception {
        Manifest manifest = TrainableArtifact.manifest(TrainableArtifact.training(ADAM, Map.of(), 0), 0);
        Path artifact = TrainableArtifact.write(dir.resolve("notrainer.nnc"), manifest, TrainableArtifact.mainClass(0, false));
        ArtifactException e = assertThrows(ArtifactException.class, () -> NncModel.load(artifact).close());
        assertTrue(e.getMessage().contains("manifest.json declares a training entry point, but main class nnc.gen.Toy does not implement "
                + "dev.nnc.runtime.CompiledTrainer"), e.getMessage());
    }

    private static Manifest manifestWith(List<TensorSpec> inputs, List<Long> inputOffsets, List<TensorSpec> hyper, List<Long> hyperOffsets,
                                         List<TensorSpec> slots, List<Long> slotOffsets, long stateBytes) {
        Training training = new Training(inputs, inputOffsets, hyper, hyperOffsets, List.of(LOSS), List.of(320L), slots, slotOffsets,
                stateBytes, ADAM, Map.of());
        return TrainableArtifact.manifest(training, 0);
    }

    private static void assertRefused(String prefix, String json) {
        ArtifactException e = assertThrows(ArtifactException.class, () -> Manifest.fromJson(json));
        assertTrue(e.getMessage().startsWith(prefix), () -> "message was: " + e.getMessage());
    }

    private static void assertInvalid(String prefix, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), () -> "message was: " + e.getMessage());
    }
}

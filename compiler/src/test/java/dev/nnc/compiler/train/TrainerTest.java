package dev.nnc.compiler.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.Tensor;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop on a plain-Java softmax regression over a linearly separable two-class problem. */
class TrainerTest {

    private static final Scoring SCORING = new Scoring("y", "logits", "probs", Scoring.LossSource.PROBS);

    @TempDir
    Path dir;

    /** 300 points in [-1, 1]²; class 1 when x0 > x1. */
    private static Dataset separable(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = 300;
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = (float) random.nextDouble(-1, 1);
            x[2 * i + 1] = (float) random.nextDouble(-1, 1);
            y[i] = x[2 * i] > x[2 * i + 1] ? 1 : 0;
        }
        return new Dataset("separable", List.of(Column.floats("x", new long[] {2}, x), Column.ints("y", new long[0], y)));
    }

    private static TrainConfig config(int epochs, int patience) {
        return new TrainConfig(epochs, 16, 7, patience, TrainConfig.StopMetric.VAL_LOSS, List.of("x"), SCORING);
    }

    @Test
    void learnsAndWritesEveryOutput() throws Exception {
        Dataset.Split split = separable(1).split(0.2, 3);
        OutputFiles files = new OutputFiles(dir.resolve("out.safetensors"));
        StringWriter text = new StringWriter();
        Trainer.Result result = Trainer.run(new SoftmaxRegressionSession(2, 2, 0.5), split.training(), split.validation(),
                config(4, 0), ResumeState.FRESH, List.of(), files, EpochProgress.none(), new PrintWriter(text));
        List<EpochMetrics> rows = result.epochs();
        assertEquals(4, rows.size());
        assertTrue(rows.getLast().trainLoss() < rows.getFirst().trainLoss(), rows.toString());
        assertTrue(rows.getLast().validationAccuracy() > 0.9, rows.getLast().toString());
        assertEquals(15 * 4, rows.getLast().step(), "240 training examples in batches of 16: 15 steps per epoch");
        assertTrue(text.toString().startsWith("epoch  1/4  loss "), text.toString());
        assertTrue(text.toString().contains("val_acc"), text.toString());
        List<String> csv = Files.readAllLines(files.metrics());
        assertEquals(EpochMetrics.CSV_HEADER, csv.getFirst());
        assertEquals(5, csv.size());
        assertEquals(rows, MetricsLog.read(files.metrics(), 4).stream().map(r -> rows.get(r.epoch() - 1)).toList());
        BufferedImage png = ImageIO.read(files.curves().toFile());
        assertEquals(1280, png.getWidth());
        assertTrue(Files.size(files.checkpoint()) > 0 && Files.size(files.weights()) > 0);
        try (var listing = Files.list(dir)) {
            assertEquals(4, listing.count(), "no temporary files left beside OUT");
        }
    }

    @Test
    void earlyStoppingKeepsTheBestEpoch() throws Exception {
        Dataset.Split split = separable(2).split(0.2, 3);
        OutputFiles files = new OutputFiles(dir.resolve("out.safetensors"));
        Trainer.Result result = Trainer.run(new SoftmaxRegressionSession(2, 2, 0.0), split.training(), split.validation(),
                config(10, 2), ResumeState.FRESH, List.of(), files, EpochProgress.none(), new PrintWriter(new StringWriter()));
        assertTrue(result.stoppedEarly());
        assertEquals(1, result.bestEpoch(), "with lr 0 nothing improves after epoch 1");
        assertEquals(3, result.epochs().size(), "patience 2: epochs 2 and 3 do not improve, then stop");
        assertEquals(15, SoftmaxRegressionSession.resume(files.weights(), 2, 2, 0).step(), "OUT holds epoch 1's weights (15 steps)");
    }

    @Test
    void resumingReproducesTheUninterruptedRun() throws Exception {
        Dataset.Split split = separable(3).split(0.2, 3);
        PrintWriter quiet = new PrintWriter(new StringWriter());
        OutputFiles straight = new OutputFiles(dir.resolve("a.safetensors"));
        SoftmaxRegressionSession whole = new SoftmaxRegressionSession(2, 2, 0.3);
        Trainer.run(whole, split.training(), split.validation(), config(4, 0), ResumeState.FRESH, List.of(), straight,
                EpochProgress.none(), quiet);

        OutputFiles interrupted = new OutputFiles(dir.resolve("b.safetensors"));
        Trainer.run(new SoftmaxRegressionSession(2, 2, 0.3), split.training(), split.validation(), config(2, 0), ResumeState.FRESH,
                List.of(), interrupted, EpochProgress.none(), quiet);
        SoftmaxRegressionSession resumed = SoftmaxRegressionSession.resume(interrupted.checkpoint(), 2, 2, 0.3);
        ResumeState state = ResumeState.fromMetadata(resumed.checkpointMetadata());
        assertEquals(2, state.epochsDone());
        Trainer.Result rest = Trainer.run(resumed, split.training(), split.validation(), config(4, 0), state,
                MetricsLog.read(interrupted.metrics(), state.epochsDone()), interrupted, EpochProgress.none(), quiet);

        assertArrayEquals(whole.parameters(), resumed.parameters(), "same shuffles from (seed, epoch): bit-identical weights");
        assertEquals(4, rest.epochs().size());
        assertEquals(5, Files.readAllLines(interrupted.metrics()).size());
    }

    @Test
    void nonFiniteLossStopsWithTheEpochAndStep() {
        Dataset data = separable(4);
        StepSession nan = new ForwardingNaN(new SoftmaxRegressionSession(2, 2, 0.1));
        TrainingException e = assertThrows(TrainingException.class, () -> Trainer.run(nan, data, null,
                new TrainConfig(2, 16, 1, 0, TrainConfig.StopMetric.VAL_ACCURACY, List.of("x"), SCORING), ResumeState.FRESH, List.of(),
                new OutputFiles(dir.resolve("o.safetensors")), EpochProgress.none(), new PrintWriter(new StringWriter())));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("epoch 1"), e.getMessage());
    }

    @Test
    void epochOrderIsADeterministicPermutationAndSplitIsDisjoint() {
        int[] a = Dataset.epochOrder(100, 5, 3);
        assertArrayEquals(a, Dataset.epochOrder(100, 5, 3));
        assertTrue(!Arrays.equals(a, Dataset.epochOrder(100, 5, 4)));
        assertArrayEquals(IntStream.range(0, 100).toArray(), Arrays.stream(a).sorted().toArray());
        Dataset.Split split = separable(5).split(0.1, 9);
        assertEquals(270, split.training().size());
        assertEquals(30, split.validation().size());
    }

    @Test
    void crossEntropyFromLogitsAndFromProbsAgree() {
        Tensor logits = Tensor.of(new float[] {2f, -1f, 0.5f, 0f, 3f, 1f}, 2, 3);
        Tensor labels = Tensor.ofInts(new int[] {0, 2}, 2);
        double fromLogits = Scoring.crossEntropySum(logits, labels, Scoring.LossSource.LOGITS);
        double e0 = Math.exp(2) + Math.exp(-1) + Math.exp(0.5);
        double e1 = 1 + Math.exp(3) + Math.exp(1);
        assertEquals(-Math.log(Math.exp(2) / e0) - Math.log(Math.exp(1) / e1), fromLogits, 1e-9);
        Tensor probs = Tensor.of(new float[] {(float) (Math.exp(2) / e0), 0, 0, 0, 0, (float) (Math.exp(1) / e1)}, 2, 3);
        assertEquals(fromLogits, Scoring.crossEntropySum(probs, labels, Scoring.LossSource.PROBS), 1e-6, "float32 probabilities: 1e-6");
        assertEquals(1, Scoring.correct(logits, labels), "row 0 argmax 0 is right, row 1 argmax 1 is wrong");
    }

    /** Returns NaN from every step. */
    private record ForwardingNaN(SoftmaxRegressionSession inner) implements StepSession {
        @Override
        public float trainStep(Map<String, Tensor> batch) {
            inner.trainStep(batch);
            return Float.NaN;
        }

        @Override
        public Tensor output(String name) {
            return inner.output(name);
        }

        @Override
        public Map<String, Tensor> infer(Map<String, Tensor> inputs) {
            return inner.infer(inputs);
        }

        @Override
        public void setEpoch(int epoch) {
        }

        @Override
        public long step() {
            return inner.step();
        }

        @Override
        public double learningRate() {
            return inner.learningRate();
        }

        @Override
        public void saveWeights(Path file) {
        }

        @Override
        public void saveCheckpoint(Path file, Map<String, String> extra) {
        }
    }
}

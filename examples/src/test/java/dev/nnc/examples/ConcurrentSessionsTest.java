package dev.nnc.examples;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks the runtime's threading contract on a real model: one shared {@link NncModel}, one {@link Session} per thread,
 * runs at the same time give the same results. Not bit for bit: the Vector API's {@code exp} (softmax) is a scalar
 * loop until C2 compiles it into the intrinsic, and the two may differ in the last bit, so a run before and a run
 * after JIT compilation can differ by an ulp. Sessions that disturbed each other would differ by far more than the
 * 1e-6 relative allowed here.
 */
class ConcurrentSessionsTest {

    private static final int THREADS = 2;
    private static final int RUNS_PER_THREAD = 12;

    @TempDir
    Path dir;

    @Test
    void twoThreadsWithTheirOwnSessionsOnOneModelAgree() throws Exception {
        Path artifact = ExampleArtifacts.compileWithFixtureWeights("lenet", dir);
        Tensor x = ExampleArtifacts.readFixture("lenet", "x_b7");

        try (NncModel model = NncModel.load(artifact)) {
            float[] expected = runOnce(model, x);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<List<float[]>>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
                for (int t = 0; t < THREADS; t++) {
                    results.add(pool.submit(() -> {
                        List<float[]> outputs = new ArrayList<>();
                        try (Session session = model.newSession()) {
                            start.await(10, TimeUnit.SECONDS);
                            for (int run = 0; run < RUNS_PER_THREAD; run++) {
                                outputs.add(session.run(Map.of("x", x)).get("probs").toFloatArray());
                            }
                        }
                        return outputs;
                    }));
                }
            }
            for (int t = 0; t < THREADS; t++) {
                List<float[]> outputs = results.get(t).get();
                for (int run = 0; run < RUNS_PER_THREAD; run++) {
                    float[] got = outputs.get(run);
                    assertEquals(expected.length, got.length);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(expected[i], got[i], 1e-6 * Math.abs(expected[i]) + 1e-9, "thread " + t + ", run " + run + ", probs[" + i + "]");
                    }
                }
            }
        }
    }

    private static float[] runOnce(NncModel model, Tensor x) {
        try (Session session = model.newSession()) {
            return session.run(Map.of("x", x)).get("probs").toFloatArray();
        }
    }
}

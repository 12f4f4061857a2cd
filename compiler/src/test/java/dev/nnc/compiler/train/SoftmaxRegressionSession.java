package dev.nnc.compiler.train;

import dev.nnc.runtime.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A plain-Java {@link StepSession} for trainer tests: softmax regression {@code logits = x·W + b} on {@code x: f32[B, F]},
 * {@code y: i32[B]}, mean cross-entropy, plain SGD. Checkpoints hold W, b, the step and the metadata.
 */
final class SoftmaxRegressionSession implements StepSession {

    private final int features;
    private final int classes;
    private final double lr;
    private float[] w;
    private float[] b;
    private long step;
    private Tensor lastLogits;
    private Map<String, String> metadata = Map.of();

    SoftmaxRegressionSession(int features, int classes, double lr) {
        this.features = features;
        this.classes = classes;
        this.lr = lr;
        this.w = new float[features * classes];
        this.b = new float[classes];
    }

    /** A session restored from {@link #saveCheckpoint}. */
    static SoftmaxRegressionSession resume(Path checkpoint, int features, int classes, double lr) throws IOException {
        SoftmaxRegressionSession s = new SoftmaxRegressionSession(features, classes, lr);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(checkpoint)))) {
            s.step = in.readLong();
            for (int i = 0; i < s.w.length; i++) {
                s.w[i] = in.readFloat();
            }
            for (int i = 0; i < s.b.length; i++) {
                s.b[i] = in.readFloat();
            }
            int entries = in.readInt();
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < entries; i++) {
                m.put(in.readUTF(), in.readUTF());
            }
            s.metadata = m;
        }
        return s;
    }

    Map<String, String> checkpointMetadata() {
        return metadata;
    }

    float[] parameters() {
        float[] all = new float[w.length + b.length];
        System.arraycopy(w, 0, all, 0, w.length);
        System.arraycopy(b, 0, all, w.length, b.length);
        return all;
    }

    @Override
    public float trainStep(Map<String, Tensor> batch) {
        float[] x = batch.get("x").toFloatArray();
        int[] y = batch.get("y").toIntArray();
        int n = y.length;
        float[] logits = logits(x, n);
        float[] gw = new float[w.length];
        float[] gb = new float[b.length];
        double loss = 0;
        for (int r = 0; r < n; r++) {
            double[] p = softmax(logits, r);
            loss -= Math.log(p[y[r]]);
            for (int c = 0; c < classes; c++) {
                double g = (p[c] - (c == y[r] ? 1 : 0)) / n;
                gb[c] += (float) g;
                for (int f = 0; f < features; f++) {
                    gw[f * classes + c] += (float) (g * x[r * features + f]);
                }
            }
        }
        for (int i = 0; i < w.length; i++) {
            w[i] -= (float) (lr * gw[i]);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] -= (float) (lr * gb[i]);
        }
        step++;
        lastLogits = Tensor.of(logits, n, classes);
        return (float) (loss / n);
    }

    @Override
    public Tensor output(String name) {
        if (!name.equals("logits")) {
            throw new IllegalArgumentException("no output " + name);
        }
        return lastLogits;
    }

    @Override
    public Map<String, Tensor> infer(Map<String, Tensor> inputs) {
        float[] x = inputs.get("x").toFloatArray();
        int n = (int) inputs.get("x").shape()[0];
        float[] logits = logits(x, n);
        float[] probs = new float[logits.length];
        for (int r = 0; r < n; r++) {
            double[] p = softmax(logits, r);
            for (int c = 0; c < classes; c++) {
                probs[r * classes + c] = (float) p[c];
            }
        }
        return Map.of("probs", Tensor.of(probs, n, classes));
    }

    @Override
    public void setEpoch(int epoch) {
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void saveWeights(Path file) throws IOException {
        save(file, Map.of());
    }

    @Override
    public void saveCheckpoint(Path file, Map<String, String> extra) throws IOException {
        save(file, extra);
    }

    private void save(Path file, Map<String, String> extra) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(step);
            for (float v : w) {
                out.writeFloat(v);
            }
            for (float v : b) {
                out.writeFloat(v);
            }
            out.writeInt(extra.size());
            for (Map.Entry<String, String> e : extra.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        }
        OutputFiles.writeAtomically(file, out -> out.write(bytes.toByteArray()));
    }

    private float[] logits(float[] x, int n) {
        float[] logits = new float[n * classes];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < classes; c++) {
                double s = b[c];
                for (int f = 0; f < features; f++) {
                    s += x[r * features + f] * w[f * classes + c];
                }
                logits[r * classes + c] = (float) s;
            }
        }
        return logits;
    }

    private double[] softmax(float[] logits, int row) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[row * classes + c]);
        }
        double[] p = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            p[c] = Math.exp(logits[row * classes + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < classes; c++) {
            p[c] /= sum;
        }
        return p;
    }
}

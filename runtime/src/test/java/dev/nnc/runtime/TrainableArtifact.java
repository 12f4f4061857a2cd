package dev.nnc.runtime;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A tiny trainable artifact built with the class-file API, and the same arithmetic in plain Java to check it against.
 *
 * <p>Parameters {@code w: f32[4]} (and, if {@code bigElements > 0}, {@code big: f32[bigElements]} to make checkpoints
 * large); one slot {@code w.momentum_buffer: f32[4]} after the parameters. Inference: {@code scores[b, i] = x[b, i]·w[i]}.
 * A training step on {@code x: f32[B, 4]}, {@code y: i32[B]}:
 * <pre>
 *   g[i] = Σ_b (x[b, i] + (float) y[b]);  m[i] += g[i];  w[i] -= lr · m[i];  big[j] += 1
 *   loss = Σ_i w[i];  scores[b, i] = x[b, i] · w[i];  echo = [lr, adam_bias1, adam_bias2_sqrt];  seed_echo = seed
 * </pre>
 * Every buffer sits at its own arena offset (different from the inference ones), so a misplaced copy shows.
 */
final class TrainableArtifact {

    static final String MAIN = "nnc.gen.Toy";
    static final String MODEL = "Toy";
    static final int MAX_BATCH = 3;
    static final int FEATURES = 4;
    static final float[] W0 = {0.5f, -1f, 2f, 0.25f};

    static final long INFER_X = 0;
    static final long INFER_SCORES = 64;
    static final long TRAIN_X = 128;
    static final long TRAIN_Y = 192;
    static final long LR = 256;
    static final long BIAS1 = 260;
    static final long BIAS2 = 264;
    static final long SEED = 268;
    static final long LOSS = 320;
    static final long TRAIN_SCORES = 384;
    static final long ECHO = 448;
    static final long SEED_ECHO = 464;
    static final long ARENA_BYTES = 512;

    private static final ClassDesc CD_SEGMENT = ClassDesc.of("java.lang.foreign.MemorySegment");
    private static final ClassDesc CD_LAYOUT = ClassDesc.of("java.lang.foreign.ValueLayout");
    private static final ClassDesc CD_OF_FLOAT = ClassDesc.of("java.lang.foreign.ValueLayout$OfFloat");
    private static final ClassDesc CD_OF_INT = ClassDesc.of("java.lang.foreign.ValueLayout$OfInt");
    private static final MethodTypeDesc GET_FLOAT = MethodTypeDesc.of(CD_float, CD_OF_FLOAT, CD_long);
    private static final MethodTypeDesc SET_FLOAT = MethodTypeDesc.of(CD_void, CD_OF_FLOAT, CD_long, CD_float);
    private static final MethodTypeDesc GET_INT = MethodTypeDesc.of(CD_int, CD_OF_INT, CD_long);
    private static final MethodTypeDesc SET_INT = MethodTypeDesc.of(CD_void, CD_OF_INT, CD_long, CD_int);
    private static final MethodTypeDesc ENTRY = MethodTypeDesc.of(CD_void, CD_SEGMENT, CD_SEGMENT, CD_int);

    // Locals of both entry points: 0 this, 1 arena, 2 weights or state, 3 batch; then scratch.
    private static final int ARENA = 1;
    private static final int STATE = 2;
    private static final int BATCH = 3;
    private static final int I = 4;
    private static final int B = 5;
    private static final int K = 6;
    private static final int G = 7;
    private static final int M = 8;
    private static final int RATE = 9;
    private static final int SUM = 10;
    private static final int J = 11;

    private TrainableArtifact() {
    }

    /** An Adam optimizer (β1 = 0.9, β2 = 0.999) at lr 0.125 with {@code schedule}. */
    static Training.Optimizer adam(Training.Schedule schedule) {
        return new Training.Optimizer(Training.Optimizer.Kind.ADAM, 0.125, 0, false, 0.9, 0.999, 1e-8, 0, schedule);
    }

    static List<TensorSpec> params(int bigElements) {
        List<TensorSpec> params = new ArrayList<>(List.of(TensorSpec.of("w", DType.F32, FEATURES)));
        if (bigElements > 0) {
            params.add(TensorSpec.of("big", DType.F32, bigElements));
        }
        return params;
    }

    /** The state offset of the slot: the first multiple of 64 after the parameters. */
    static long slotOffset(int bigElements) {
        long paramBytes = 4L * (FEATURES + bigElements);
        return (paramBytes + 63) / 64 * 64;
    }

    static Training training(Training.Optimizer optimizer, Map<String, String> settings, int bigElements) {
        long b = TensorSpec.BATCH;
        return new Training(
                List.of(TensorSpec.of("x", DType.F32, b, FEATURES), TensorSpec.of("y", DType.I32, b)), List.of(TRAIN_X, TRAIN_Y),
                List.of(TensorSpec.of("lr", DType.F32), TensorSpec.of("adam_bias1", DType.F32), TensorSpec.of("adam_bias2_sqrt", DType.F32),
                        TensorSpec.of("seed", DType.I32)), List.of(LR, BIAS1, BIAS2, SEED),
                List.of(TensorSpec.of("loss", DType.F32), TensorSpec.of("scores", DType.F32, b, FEATURES), TensorSpec.of("echo", DType.F32, 3),
                        TensorSpec.of("seed_echo", DType.I32)), List.of(LOSS, TRAIN_SCORES, ECHO, SEED_ECHO),
                List.of(TensorSpec.of("w.momentum_buffer", DType.F32, FEATURES)), List.of(slotOffset(bigElements)),
                slotOffset(bigElements) + 4L * FEATURES, optimizer, settings);
    }

    /** The manifest; {@code training} null gives an inference-only artifact. */
    static Manifest manifest(Training training, int bigElements) {
        return new Manifest(Manifest.FORMAT_VERSION, "0.1.0-test", Map.of("opt", "O2"), MODEL, "toy.nn", "00", MAIN, MAX_BATCH, ARENA_BYTES,
                List.of(TensorSpec.of("x", DType.F32, TensorSpec.BATCH, FEATURES)), List.of(INFER_X),
                List.of(TensorSpec.of("scores", DType.F32, TensorSpec.BATCH, FEATURES)), List.of(INFER_SCORES),
                params(bigElements), Map.of(), 0, training);
    }

    /** Writes a trainable artifact with Adam, {@code schedule} and {@code settings} to {@code file}. */
    static Path write(Path file, Training.Schedule schedule, Map<String, String> settings, int bigElements) throws IOException {
        return write(file, manifest(training(adam(schedule), settings, bigElements), bigElements), mainClass(bigElements, true));
    }

    /** Writes {@code manifest} with {@code mainClass} as its main class and the initial weights. */
    static Path write(Path file, Manifest manifest, byte[] mainClass) throws IOException {
        int bigElements = manifest.params().size() > 1 ? (int) manifest.params().get(1).rowElements() : 0;
        List<MemorySegment> data = new ArrayList<>(List.of(MemorySegment.ofArray(W0.clone())));
        if (bigElements > 0) {
            data.add(MemorySegment.ofArray(new float[bigElements]));
        }
        ArtifactWriter.write(file, manifest, Map.of(MAIN, Layouts.stamped(mainClass, manifest)), manifest.params(), data, "toy\n");
        return file;
    }

    /** The main class; with {@code trainer} false it implements only {@link CompiledModel}. */
    static byte[] mainClass(int bigElements, boolean trainer) {
        List<ClassDesc> interfaces = new ArrayList<>(List.of(ClassDesc.of(CompiledModel.class.getName())));
        if (trainer) {
            interfaces.add(ClassDesc.of(CompiledTrainer.class.getName()));
        }
        return ClassFile.of().build(ClassDesc.of(MAIN), cls -> {
            cls.withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
                    .withSuperclass(CD_Object)
                    .withInterfaceSymbols(interfaces)
                    .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                            code -> code.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_())
                    .withMethodBody("infer", ENTRY, ClassFile.ACC_PUBLIC, TrainableArtifact::infer);
            if (trainer) {
                cls.withMethodBody("trainStep", ENTRY, ClassFile.ACC_PUBLIC, code -> trainStep(code, bigElements));
            }
        });
    }

    /** The training step in plain Java, on heap copies: updates {@code w} and {@code m} in place and returns the loss. */
    static float referenceStep(float[] w, float[] m, float lr, float[] x, int[] y) {
        int batch = y.length;
        for (int i = 0; i < FEATURES; i++) {
            float g = 0;
            for (int b = 0; b < batch; b++) {
                g += x[b * FEATURES + i] + (float) y[b];
            }
            m[i] = m[i] + g;
            w[i] = w[i] - lr * m[i];
        }
        float loss = 0;
        for (float wi : w) {
            loss += wi;
        }
        return loss;
    }

    /** {@code scores[b, i] = x[b, i]·w[i]} in plain Java. */
    static float[] referenceScores(float[] w, float[] x) {
        float[] scores = new float[x.length];
        for (int k = 0; k < x.length; k++) {
            scores[k] = x[k] * w[k % FEATURES];
        }
        return scores;
    }

    private static void infer(CodeBuilder code) {
        forLoop(code, K, c -> c.iload(BATCH).iconst_4().imul(), c -> {
            c.iload(K).iconst_4().irem().istore(I);
            storeFloat(c, ARENA, INFER_SCORES, K, v -> {
                loadFloat(v, ARENA, INFER_X, K);
                loadFloat(v, STATE, 0, I);
                v.fmul();
            });
        });
        code.return_();
    }

    private static void trainStep(CodeBuilder code, int bigElements) {
        long slot = slotOffset(bigElements);
        loadFloat(code, ARENA, LR, -1);
        code.fstore(RATE);
        forLoop(code, I, c -> c.iconst_4(), c -> {
            c.fconst_0().fstore(G);
            forLoop(c, B, d -> d.iload(BATCH), d -> {
                d.iload(B).iconst_4().imul().iload(I).iadd().istore(K);
                d.fload(G);
                loadFloat(d, ARENA, TRAIN_X, K);
                loadInt(d, ARENA, TRAIN_Y, B);
                d.i2f().fadd().fadd().fstore(G);
            });
            loadFloat(c, STATE, slot, I);
            c.fload(G).fadd().fstore(M);
            storeFloat(c, STATE, slot, I, v -> v.fload(M));
            storeFloat(c, STATE, 0, I, v -> {
                loadFloat(v, STATE, 0, I);
                v.fload(RATE).fload(M).fmul().fsub();
            });
        });
        code.fconst_0().fstore(SUM);
        forLoop(code, I, c -> c.iconst_4(), c -> {
            c.fload(SUM);
            loadFloat(c, STATE, 0, I);
            c.fadd().fstore(SUM);
        });
        storeFloat(code, ARENA, LOSS, -1, v -> v.fload(SUM));
        forLoop(code, K, c -> c.iload(BATCH).iconst_4().imul(), c -> {
            c.iload(K).iconst_4().irem().istore(I);
            storeFloat(c, ARENA, TRAIN_SCORES, K, v -> {
                loadFloat(v, ARENA, TRAIN_X, K);
                loadFloat(v, STATE, 0, I);
                v.fmul();
            });
        });
        storeFloat(code, ARENA, ECHO, -1, v -> v.fload(RATE));
        storeFloat(code, ARENA, ECHO + 4, -1, v -> loadFloat(v, ARENA, BIAS1, -1));
        storeFloat(code, ARENA, ECHO + 8, -1, v -> loadFloat(v, ARENA, BIAS2, -1));
        code.aload(ARENA).getstatic(CD_LAYOUT, "JAVA_INT", CD_OF_INT).ldc(SEED_ECHO);
        loadInt(code, ARENA, SEED, -1);
        code.invokeinterface(CD_SEGMENT, "set", SET_INT);
        if (bigElements > 0) {
            forLoop(code, J, c -> c.ldc(bigElements), c -> storeFloat(c, STATE, 4L * FEATURES, J, v -> {
                loadFloat(v, STATE, 4L * FEATURES, J);
                v.fconst_1().fadd();
            }));
        }
        code.return_();
    }

    /** {@code for (counter = 0; counter < limit; counter++) body}. */
    private static void forLoop(CodeBuilder code, int counter, Consumer<CodeBuilder> limit, Consumer<CodeBuilder> body) {
        Label top = code.newLabel();
        Label end = code.newLabel();
        code.iconst_0().istore(counter).labelBinding(top).iload(counter);
        limit.accept(code);
        code.if_icmpge(end);
        body.accept(code);
        code.iinc(counter, 1).goto_(top).labelBinding(end);
    }

    /** Pushes the long {@code base + 4·index} ({@code base} alone when {@code index} is -1). */
    private static void address(CodeBuilder code, long base, int index) {
        code.ldc(base);
        if (index >= 0) {
            code.iload(index).i2l().ldc(4L).lmul().ladd();
        }
    }

    private static void loadFloat(CodeBuilder code, int segment, long base, int index) {
        code.aload(segment).getstatic(CD_LAYOUT, "JAVA_FLOAT", CD_OF_FLOAT);
        address(code, base, index);
        code.invokeinterface(CD_SEGMENT, "get", GET_FLOAT);
    }

    private static void loadInt(CodeBuilder code, int segment, long base, int index) {
        code.aload(segment).getstatic(CD_LAYOUT, "JAVA_INT", CD_OF_INT);
        address(code, base, index);
        code.invokeinterface(CD_SEGMENT, "get", GET_INT);
    }

    private static void storeFloat(CodeBuilder code, int segment, long base, int index, Consumer<CodeBuilder> value) {
        code.aload(segment).getstatic(CD_LAYOUT, "JAVA_FLOAT", CD_OF_FLOAT);
        address(code, base, index);
        value.accept(code);
        code.invokeinterface(CD_SEGMENT, "set", SET_FLOAT);
    }
}

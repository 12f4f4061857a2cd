package dev.nnc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One thread's way to run a {@link NncModel}: owns a native, 64-byte aligned arena of {@code arenaBytes} that holds the
 * inputs, the intermediates and the outputs of a run.
 *
 * <p>A session is confined to the thread that created it (use one session per thread); calling it from another
 * thread throws {@link WrongThreadException}. Using it after {@link #close()}, or after its model was closed, throws
 * IllegalStateException.
 */
public final class Session implements AutoCloseable {

    private final NncModel model;
    private final Arena arena;
    private final MemorySegment memory;

    Session(NncModel model) {
        this.model = model;
        this.arena = Arena.ofConfined();
        this.memory = arena.allocate(Math.max(1, model.manifest().arenaBytes()), Safetensors.ALIGNMENT);
    }

    /** The model this session runs. */
    public NncModel model() {
        return model;
    }

    /**
     * Runs the model once on {@code inputs} (one tensor per model input, by name) and returns new tensors, one per
     * output by name in output order, with the batch dim {@code B} replaced by the actual batch.
     *
     * @throws IllegalArgumentException if an input is unknown or missing, or has the wrong dtype, rank or dims, or the
     *                                  inputs disagree on {@code B}, or {@code B} is outside {@code 1..maxBatch}
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        ensureOpen();
        return infer(model, memory, model.weights(), inputs);
    }

    /**
     * Validates {@code inputs}, copies them into {@code memory}, runs the inference entry point of {@code model} on
     * {@code weights} (laid out like the weights' data section) and copies the outputs out.
     */
    static Map<String, Tensor> infer(NncModel model, MemorySegment memory, MemorySegment weights, Map<String, Tensor> inputs) {
        Manifest manifest = model.manifest();
        List<TensorSpec> specs = manifest.inputs();
        int batch = checkInputs(inputs, specs, manifest.maxBatch());
        for (int i = 0; i < specs.size(); i++) {
            Tensor tensor = inputs.get(specs.get(i).name());
            MemorySegment.copy(tensor.segment(), 0, memory, manifest.inputOffsets().get(i), tensor.segment().byteSize());
        }
        model.compiled().infer(memory, weights, batch);
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (int i = 0; i < manifest.outputs().size(); i++) {
            TensorSpec spec = manifest.outputs().get(i);
            MemorySegment source = memory.asSlice(manifest.outputOffsets().get(i), spec.byteSize(batch));
            outputs.put(spec.name(), Tensor.copyOf(spec.dtype(), source, spec.shapeAt(batch)));
        }
        return Collections.unmodifiableMap(outputs);
    }

    /**
     * The region of this session's arena where input {@code name} is read from, sized for the maximum batch: write an
     * input here (rows of a batch first) and call {@link #run(int)}, and no call copies or allocates anything. The
     * segment is valid while the session is open; {@link #run(Map)} overwrites it.
     *
     * @throws IllegalArgumentException if the model has no input {@code name}
     */
    public MemorySegment input(String name) {
        ensureOpen();
        Manifest manifest = model.manifest();
        int i = indexOf(manifest.inputs(), name, "input");
        return memory.asSlice(manifest.inputOffsets().get(i), manifest.inputs().get(i).byteSize(manifest.maxBatch()));
    }

    /** As {@link #input}, for output {@code name}: after {@link #run(int)} with batch b it holds b rows of that output. */
    public MemorySegment output(String name) {
        ensureOpen();
        Manifest manifest = model.manifest();
        int i = indexOf(manifest.outputs(), name, "output");
        return memory.asSlice(manifest.outputOffsets().get(i), manifest.outputs().get(i).byteSize(manifest.maxBatch()));
    }

    /**
     * Runs the model once on the inputs already in {@link #input} at batch size {@code batch}, leaving the outputs in
     * {@link #output}. The serving loop of an application that binds its buffers once: a warmed-up call allocates nothing.
     *
     * @throws IllegalArgumentException if {@code batch} is outside {@code 1..maxBatch}
     */
    public void run(int batch) {
        ensureOpen();
        int maxBatch = model.manifest().maxBatch();
        if (batch < 1 || batch > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " is outside 1.." + maxBatch);
        }
        model.compiled().infer(memory, model.weights(), batch);
    }

    private static int indexOf(List<TensorSpec> specs, String name, String what) {
        int i = TensorSpec.indexOf(specs, name);
        if (i >= 0) {
            return i;
        }
        throw new IllegalArgumentException("no " + what + " '" + name + "'; the model's " + what + "s are "
                + specs.stream().map(TensorSpec::toString).collect(Collectors.joining(", ")));
    }

    /** Frees the arena. Idempotent; must be called from the session's thread. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    private void ensureOpen() {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("session of model " + model.manifest().modelName() + " is closed");
        }
        model.ensureOpen();
        if (!memory.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("a session is confined to the thread that created it; create one session per thread");
        }
    }

    /**
     * Validates the inputs against {@code specs} and returns their common batch size (1 if no input is batched); the
     * check every backend runs before a call.
     *
     * @throws IllegalArgumentException as {@link #run(Map)} says
     */
    public static int checkInputs(Map<String, Tensor> inputs, List<TensorSpec> specs, int maxBatch) {
        String expected = specs.stream().map(TensorSpec::toString).collect(Collectors.joining(", "));
        for (String name : inputs.keySet()) {
            if (specs.stream().noneMatch(s -> s.name().equals(name))) {
                throw new IllegalArgumentException("unknown input '" + name + "'; expected inputs: " + expected);
            }
        }
        int batch = -1;
        String batchSource = null;
        for (TensorSpec spec : specs) {
            Tensor tensor = inputs.get(spec.name());
            if (tensor == null) {
                throw new IllegalArgumentException("missing input '" + spec.name() + "'; expected inputs: " + expected);
            }
            long actualBatch = spec.isBatched() && tensor.rank() == spec.rank() ? tensor.shape()[0] : 1;
            boolean batchInRange = actualBatch >= 1 && actualBatch <= maxBatch;
            if (!batchInRange || !tensor.matches(spec, actualBatch)) {
                String range = spec.isBatched() ? " with 1 ≤ B ≤ " + maxBatch : "";
                throw new IllegalArgumentException("input " + spec.name() + ": expected " + spec.typeString() + range + ", got "
                        + tensor.typeString());
            }
            if (spec.isBatched()) {
                if (batch >= 0 && actualBatch != batch) {
                    throw new IllegalArgumentException("input " + spec.name() + " has batch " + actualBatch + ", but input " + batchSource
                            + " has batch " + batch + "; all inputs must share B");
                }
                batch = (int) actualBatch;
                batchSource = spec.name();
            }
        }
        return Math.max(batch, 1);
    }
}

package dev.nnc.runtime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One thread's way to train a {@link NncModel#isTrainable() trainable} model: owns a native arena of
 * {@code arenaBytes} and the mutable state of {@link Training#stateBytes()} (the parameters, laid out like the data
 * section of {@code weights.safetensors}, then the optimizer slots), both 64-byte aligned, plus the step counter
 * {@code t} and the epoch that drive the hyperparameters ({@link Hyperparameters}).
 *
 * <p>Call order: {@link #setEpoch} at the start of each epoch (it drives the learning-rate schedule), then
 * {@link #trainStep} per batch, reading {@link #output} of the step as needed; {@link #infer} evaluates the current
 * weights at any time; {@link #saveCheckpoint} and {@link NncModel#newTrainingSession(Path)} stop and resume training
 * exactly. A session is confined to the thread that created it (others get {@link WrongThreadException}); using it
 * after {@link #close()}, or after its model was closed, throws IllegalStateException.
 *
 * <p>A session may run its steps on a {@link TrainingDevice} instead of the JVM ({@code OpenClModel.newTrainingSession}):
 * the parameters and slots then stay on the device, and the session reads them back only to save or show them.
 */
public final class TrainingSession implements AutoCloseable {

    /** Checkpoint metadata key: the number of steps taken, {@link #step()}. */
    public static final String STEP_KEY = "nnc_step";
    /** Checkpoint metadata key: the current epoch, {@link #epoch()}. */
    public static final String EPOCH_KEY = "nnc_epoch";
    /** Checkpoint and weights metadata key: the model's name. */
    public static final String MODEL_KEY = "nnc_model";

    private static final Set<String> RESERVED_METADATA = Set.of(STEP_KEY, EPOCH_KEY, MODEL_KEY);

    private final NncModel model;
    private final Training training;
    /** Where the steps run; null for the JVM, which updates {@link #state} itself. */
    private final TrainingDevice device;
    /** Whether the device has taken steps since {@link #state} was last read back from it. */
    private boolean hostStateStale;
    private final Arena arena;
    private final MemorySegment memory;
    private final MemorySegment state;
    private final MemorySegment params;
    /** What inference runs on: {@link #params}, or a copy followed by the packed weights, rebuilt when it is stale. */
    private final MemorySegment inferWeights;
    private boolean inferWeightsStale = true;
    private final List<Long> paramOffsets;
    /** The outputs of the last step, copied out of the arena (so {@link #infer} may reuse it), packed at {@link #savedOutputOffsets}. */
    private final MemorySegment savedOutputs;
    private final List<Long> savedOutputOffsets;
    private long step;
    private int epoch;
    private int lastBatch;
    private Map<String, String> checkpointMetadata = Map.of();

    /** A fresh session on the JVM or {@code device}: the model's weights, zero slots, step 0, epoch 0. */
    TrainingSession(NncModel model, TrainingDevice device) {
        this.model = model;
        this.device = device;
        Manifest manifest = model.manifest();
        this.training = manifest.training();
        this.arena = Arena.ofConfined();
        this.memory = arena.allocate(Math.max(1, manifest.arenaBytes()), Safetensors.ALIGNMENT);
        this.state = arena.allocate(Math.max(1, training.stateBytes()), Safetensors.ALIGNMENT);
        long paramBytes = manifest.paramBytes();
        MemorySegment.copy(model.weights(), 0, state, 0, paramBytes);
        state.asSlice(paramBytes).fill((byte) 0);
        this.params = state.asSlice(0, paramBytes).asReadOnly();
        this.inferWeights = manifest.packedWeights().isEmpty() ? params
                : arena.allocate(manifest.runWeightsBytes(), Safetensors.ALIGNMENT);
        this.paramOffsets = Safetensors.layout(manifest.params());
        List<Long> packed = new ArrayList<>();
        long outputBytes = 0;
        for (TensorSpec output : training.outputs()) {
            packed.add(outputBytes);
            outputBytes += output.byteSize(manifest.maxBatch());
        }
        this.savedOutputs = arena.allocate(Math.max(1, outputBytes), Safetensors.ALIGNMENT);
        this.savedOutputOffsets = List.copyOf(packed);
        if (device != null) device.writeState(state);
    }

    /** The model this session trains. */
    public NncModel model() {
        return model;
    }

    /**
     * Takes one training step on {@code batch} (one tensor per {@link Training#inputs()} entry, by name): validates it,
     * advances {@link #step()} by one, writes the hyperparameters of that step and epoch, copies the batch into the arena,
     * runs the compiled step (which updates the parameters and slots in place) and returns the loss. A non-finite loss is
     * returned as it is; deciding what to do about it is the caller's business.
     *
     * @throws IllegalArgumentException if a tensor is unknown or missing, or has the wrong dtype, rank or dims, or the
     *                                  tensors disagree on {@code B}, or {@code B} is outside {@code 1..maxBatch}, or an
     *                                  {@code i32} target holds a label outside the classes of the model's first output
     */
    public float trainStep(Map<String, Tensor> batch) {
        ensureOpen();
        Manifest manifest = model.manifest();
        int batchSize = Session.checkInputs(batch, training.inputs(), manifest.maxBatch());
        requireLabelsWithinClasses(batch, manifest);
        step++;
        Hyperparameters.write(memory, training, step, epoch);
        for (int i = 0; i < training.inputs().size(); i++) {
            Tensor tensor = batch.get(training.inputs().get(i).name());
            MemorySegment.copy(tensor.segment(), 0, memory, training.inputOffsets().get(i), tensor.segment().byteSize());
        }
        if (device == null) {
            model.trainer().trainStep(memory, state, batchSize);
        } else {
            device.trainStep(memory, batchSize);
            hostStateStale = true;
        }
        inferWeightsStale = true;
        for (int i = 0; i < training.outputs().size(); i++) {
            MemorySegment.copy(memory, training.outputOffsets().get(i), savedOutputs, savedOutputOffsets.get(i),
                    training.outputs().get(i).byteSize(batchSize));
        }
        lastBatch = batchSize;
        return savedOutputs.get(ValueLayout.JAVA_FLOAT, savedOutputOffsets.getFirst());
    }

    /**
     * A copy of output {@code name} of the last {@link #trainStep} (e.g. {@code loss}, or the logits for accuracy), with
     * {@code B} replaced by that step's batch size. Unaffected by {@link #infer}.
     *
     * @throws IllegalArgumentException if the step has no output of that name
     * @throws IllegalStateException    if no step has been taken yet
     */
    public Tensor output(String name) {
        ensureOpen();
        int index = indexOf(training.outputs(), name);
        if (index < 0) {
            throw new IllegalArgumentException("unknown training output '" + name + "'; training outputs: " + describe(training.outputs()));
        }
        if (lastBatch == 0) {
            throw new IllegalStateException("no training step has been taken yet, so there is no output " + name);
        }
        TensorSpec spec = training.outputs().get(index);
        return Tensor.copyOf(spec.dtype(), savedOutputs.asSlice(savedOutputOffsets.get(index), spec.byteSize(lastBatch)), spec.shapeAt(lastBatch));
    }

    /**
     * Runs the inference entry point on the current parameters, exactly as {@link Session#run} does on the model's (for
     * validation and test evaluation; dropout is off there by construction). Does not change the training state.
     *
     * @throws IllegalArgumentException as {@link Session#run} does
     */
    public Map<String, Tensor> infer(Map<String, Tensor> inputs) {
        ensureOpen();
        if (device != null) {
            return device.infer(inputs, Session.checkInputs(inputs, model.manifest().inputs(), model.manifest().maxBatch()));
        }
        if (inferWeightsStale && inferWeights != params) {
            PackedWeights.prepare(model.manifest(), params, inferWeights);
        }
        inferWeightsStale = false;
        return Session.infer(model, memory, inferWeights, inputs);
    }

    /** Sets the current epoch (0-based), which selects the learning rate of the following steps. */
    public void setEpoch(int epoch) {
        ensureOpen();
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
        this.epoch = epoch;
    }

    /** The current epoch, 0 in a fresh session. */
    public int epoch() {
        ensureOpen();
        return epoch;
    }

    /** The number of steps taken, {@code t}: 0 in a fresh session; the next step is {@code t + 1}. */
    public long step() {
        ensureOpen();
        return step;
    }

    /** The learning rate the schedule gives the current epoch, as the next step receives it (before rounding to f32). */
    public double learningRate() {
        ensureOpen();
        return training.optimizer().learningRate(epoch);
    }

    /**
     * Writes the current parameters (no slots) as safetensors with their PyTorch names and the metadata
     * {@code format = pt}, {@code nnc_model}; written aside and renamed into place atomically. {@link NncModel#load(Path, Path)}
     * reads the file.
     */
    public void saveWeights(Path path) throws IOException {
        ensureOpen();
        readBackState();
        Manifest manifest = model.manifest();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put(MODEL_KEY, manifest.modelName());
        Safetensors.write(path, manifest.params(), slices(manifest.params(), paramOffsets), metadata);
    }

    /**
     * Writes a checkpoint: the parameters, then the slots, as safetensors, with the metadata {@code nnc_model},
     * {@code nnc_step}, {@code nnc_epoch} and every entry of {@code extra} (the trainer's own, e.g. the best validation
     * loss). Written aside and renamed into place atomically, so a crash leaves the previous checkpoint or this one,
     * never a torn file.
     *
     * @throws IllegalArgumentException if {@code extra} uses one of the {@code nnc_} keys above
     */
    public void saveCheckpoint(Path path, Map<String, String> extra) throws IOException {
        ensureOpen();
        for (String key : extra.keySet()) {
            if (RESERVED_METADATA.contains(key)) {
                throw new IllegalArgumentException("checkpoint metadata key " + key + " is reserved for the session; use another name");
            }
        }
        readBackState();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(MODEL_KEY, model.manifest().modelName());
        metadata.put(STEP_KEY, Long.toString(step));
        metadata.put(EPOCH_KEY, Integer.toString(epoch));
        metadata.putAll(extra);
        Safetensors.write(path, checkpointSpecs(), slices(checkpointSpecs(), checkpointOffsets()), metadata);
    }

    /**
     * The metadata of the checkpoint this session resumed from: {@code nnc_model}, {@code nnc_step}, {@code nnc_epoch}
     * and the {@code extra} entries it was saved with. Empty for a fresh session.
     */
    public Map<String, String> checkpointMetadata() {
        ensureOpen();
        return checkpointMetadata;
    }

    /**
     * A copy of the current value of parameter or slot {@code name} (for tests and debugging).
     *
     * @throws IllegalArgumentException if the model has no parameter or slot of that name
     */
    public Tensor weight(String name) {
        ensureOpen();
        List<TensorSpec> specs = checkpointSpecs();
        int index = indexOf(specs, name);
        if (index < 0) {
            throw new IllegalArgumentException("no parameter or slot '" + name + "'; parameters and slots: " + describe(specs));
        }
        TensorSpec spec = specs.get(index);
        readBackState();
        return Tensor.copyOf(spec.dtype(), state.asSlice(checkpointOffsets().get(index), spec.byteSize(1)), spec.shape());
    }

    /** Frees the arena, the state and the device's copies. Idempotent; must be called from the session's thread. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            if (device != null) device.close();
        }
    }

    /** Brings {@link #state} up to date with the device's after steps taken there. */
    private void readBackState() {
        if (hostStateStale) device.readState(state);
        hostStateStale = false;
    }

    /** Replaces the parameters, slots, step, epoch and metadata with those of {@code checkpoint}. */
    void restore(Path checkpoint) throws ArtifactException {
        String what = "checkpoint " + checkpoint;
        Map<String, String> metadata = StoredTensors.copyInto(checkpoint, checkpointSpecs(), checkpointOffsets(), state, what);
        if (device != null) device.writeState(state);
        hostStateStale = false;
        inferWeightsStale = true;
        step = counter(metadata, STEP_KEY, Long.MAX_VALUE, what);
        epoch = (int) counter(metadata, EPOCH_KEY, Integer.MAX_VALUE, what);
        checkpointMetadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    private static long counter(Map<String, String> metadata, String key, long max, String what) throws ArtifactException {
        String text = metadata.get(key);
        long value;
        try {
            value = text == null ? -1 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = -1;
        }
        if (value < 0 || value > max) {
            throw new ArtifactException(what + " needs metadata " + key + " holding an integer in [0, " + max + "], got "
                    + (text == null ? "none" : "'" + text + "'") + "; it was not written by TrainingSession.saveCheckpoint");
        }
        return value;
    }

    /**
     * For every {@code i32} target (a training input that is not a model input), every label must index a class of the
     * model's first output, whose last dim is the number of classes: {@code 0 ≤ label < classes}. Without the check a
     * bad label would make the compiled loss read outside its row.
     */
    private void requireLabelsWithinClasses(Map<String, Tensor> batch, Manifest manifest) {
        if (manifest.outputs().isEmpty() || manifest.outputs().getFirst().rank() == 0) {
            return;
        }
        TensorSpec classified = manifest.outputs().getFirst();
        long classes = classified.shape()[classified.rank() - 1];
        Set<String> modelInputs = manifest.inputs().stream().map(TensorSpec::name).collect(Collectors.toSet());
        for (TensorSpec target : training.inputs()) {
            if (target.dtype() != DType.I32 || modelInputs.contains(target.name())) {
                continue;
            }
            Tensor labels = batch.get(target.name());
            long perRow = labels.rank() == 0 ? 1 : labels.size() / Math.max(1, labels.shape()[0]);
            MemorySegment values = labels.segment();
            for (long k = 0; k < labels.size(); k++) {
                int label = values.getAtIndex(ValueLayout.JAVA_INT, k);
                if (label < 0 || label >= classes) {
                    String where = perRow == 1 ? "row " + k : "row " + k / perRow + ", position " + k % perRow;
                    throw new IllegalArgumentException("target " + target.name() + ": label " + label + " at " + where + " is outside [0, "
                            + classes + "), the classes of output " + classified);
                }
            }
        }
    }

    private List<TensorSpec> checkpointSpecs() {
        List<TensorSpec> specs = new ArrayList<>(model.manifest().params());
        specs.addAll(training.slots());
        return specs;
    }

    private List<Long> checkpointOffsets() {
        List<Long> offsets = new ArrayList<>(paramOffsets);
        offsets.addAll(training.slotOffsets());
        return offsets;
    }

    private List<MemorySegment> slices(List<TensorSpec> specs, List<Long> offsets) {
        List<MemorySegment> slices = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            slices.add(state.asSlice(offsets.get(i), specs.get(i).byteSize(1)));
        }
        return slices;
    }

    private static int indexOf(List<TensorSpec> specs, String name) {
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String describe(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::toString).collect(Collectors.joining(", "));
    }

    private void ensureOpen() {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("training session of model " + model.manifest().modelName() + " is closed");
        }
        model.ensureOpen();
        if (!memory.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("a training session is confined to the thread that created it; create one per thread");
        }
    }
}

package dev.nnc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A loaded {@code .nnc} artifact: its manifest, its memory-mapped weights and its verified generated code.
 *
 * <p>{@link #load} reads the artifact with {@link ArtifactReader}: it checks the format version, the sha256 of every
 * entry and the position of the weights in the file, memory-maps {@code weights.safetensors} (never copied onto the
 * heap), verifies every class with {@link ClassVerifier}, defines them in a fresh class loader and instantiates the
 * main class. A model is immutable
 * and safe to share between threads; each thread runs it through its own {@link Session}. Closing the model unmaps
 * the weights: sessions of a closed model throw IllegalStateException.
 *
 * <p>{@link #load(Path, Path)} runs the artifact with other weights (e.g. trained ones), copied once into an aligned
 * native segment. An artifact compiled with a {@code train} section {@link #isTrainable() is trainable}: each thread
 * trains it through its own {@link TrainingSession}, which owns a mutable copy of the weights.
 */
public final class NncModel implements AutoCloseable {

    private final Manifest manifest;
    private final Arena arena;
    private final MemorySegment weights;
    private final CompiledModel compiled;
    private final OpenClSchedule openCl;
    /** Who signed the artifact (the signature verified); null when it is unsigned. */
    private final ArtifactSignature.Signer signer;

    private NncModel(Manifest manifest, Arena arena, MemorySegment weights, CompiledModel compiled, OpenClSchedule openCl,
                     ArtifactSignature.Signer signer) {
        this.manifest = manifest;
        this.arena = arena;
        this.weights = weights;
        this.compiled = compiled;
        this.openCl = openCl;
        this.signer = signer;
    }

    /**
     * Loads and verifies an artifact like {@link #load(Path)}, then runs it with the parameters in {@code weights} instead
     * of its own: a safetensors file holding exactly the model's parameters (same names, dtypes and shapes, in any
     * order), as {@link TrainingSession#saveWeights} writes. They are copied once into a 64-byte aligned native
     * segment laid out like the artifact's data section.
     *
     * @throws ArtifactException if the artifact cannot be loaded, or {@code weights} cannot be read, lacks a parameter,
     *                           holds a tensor that is not one, or holds one with another dtype or shape (the message
     *                           names the tensor)
     */
    public static NncModel load(Path artifact, Path weights) throws ArtifactException {
        NncModel model = load(artifact);
        boolean loaded = false;
        try {
            List<TensorSpec> params = model.manifest.params();
            MemorySegment copy = model.arena.allocate(Math.max(1, model.manifest.runWeightsBytes()), Safetensors.ALIGNMENT);
            StoredTensors.copyInto(weights, params, Safetensors.layout(params), copy, "weights file " + weights);
            PackedWeights.prepare(model.manifest, copy, copy);
            loaded = true;
            return new NncModel(model.manifest, model.arena, copy.asReadOnly(), model.compiled, model.openCl, model.signer);
        } catch (ArtifactException e) {
            throw new ArtifactException("cannot load " + artifact + " with weights " + weights + ": " + e.getMessage(), e.getCause());
        } finally {
            if (!loaded) {
                model.close();
            }
        }
    }

    /** Loads and verifies an artifact; any problem with it is an ArtifactException that says what is wrong. */
    public static NncModel load(Path path) throws ArtifactException {
        return load(path, Trust.ANY);
    }

    /**
     * Loads and verifies an artifact like {@link #load(Path)} if {@code trust} accepts who signed it (see {@link Trust}
     * for what a signature adds to the checks every artifact gets).
     *
     * @throws ArtifactException as {@link #load(Path)}, and when the artifact's signature does not verify, or
     *                           {@code trust} requires a signature it lacks or one by another key
     */
    public static NncModel load(Path path, Trust trust) throws ArtifactException {
        try {
            ArtifactReader.Loaded loaded = ArtifactReader.read(path, trust);
            return new NncModel(loaded.manifest(), loaded.arena(), loaded.weights(), loaded.compiled(), loaded.openCl(), loaded.signer());
        } catch (ArtifactException e) {
            throw new ArtifactException("cannot load " + path + ": " + e.getMessage(), e.getCause());
        }
    }

    /**
     * What an artifact holds, checked as {@link #load(Path, Trust)} checks it (zip, checksums, weights, signature, every
     * class through the verifier), without defining or initializing any of its classes: no code from the artifact
     * runs, so a hostile static initializer cannot hang or act. For tools such as {@code nnc inspect}.
     */
    public record Inspection(Manifest manifest, Optional<OpenClSchedule> openCl, Optional<ArtifactSignature.Signer> signer) {}

    /** {@link Inspection} of the artifact at {@code path}, if {@code trust} accepts its signer. */
    public static Inspection inspect(Path path, Trust trust) throws ArtifactException {
        try {
            return ArtifactReader.inspect(path, trust);
        } catch (ArtifactException e) {
            throw new ArtifactException("cannot load " + path + ": " + e.getMessage(), e.getCause());
        }
    }

    /** Who signed the artifact, its signature verified at load; empty for an unsigned artifact. */
    public Optional<ArtifactSignature.Signer> signer() {
        return Optional.ofNullable(signer);
    }

    /**
     * The model's OpenCL programs and launch orders (inference, and the training step when it trains), which
     * {@code nnc-runtime-opencl} runs on a device; empty for an artifact from before the OpenCL backend.
     */
    public Optional<OpenClSchedule> openCl() {
        return Optional.ofNullable(openCl);
    }

    /** The manifest the artifact was loaded with. */
    public Manifest manifest() {
        return manifest;
    }

    /** The model's inputs, in entry-point order. */
    public List<TensorSpec> inputs() {
        return manifest.inputs();
    }

    /** The model's outputs, in entry-point order. */
    public List<TensorSpec> outputs() {
        return manifest.outputs();
    }

    /** The model's parameters, in declaration order. */
    public List<TensorSpec> params() {
        return manifest.params();
    }

    /**
     * The read-only weights the model runs with, laid out like the data section of {@code weights.safetensors}: that
     * section memory-mapped, or an aligned copy ({@link #load(Path, Path)}, or an artifact whose manifest asks for
     * {@linkplain Manifest#packedWeights() packed copies}, which follow the parameters). Invalid once the model is closed.
     */
    public MemorySegment weights() {
        ensureOpen();
        return weights;
    }

    /** Whether {@link #close()} has not been called yet. */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    /** A new session for the calling thread, owning an arena of {@code arenaBytes}; close it when done. */
    public Session newSession() {
        ensureOpen();
        return new Session(this);
    }

    /** Whether the artifact has a training entry point: its manifest has a {@code training} section. */
    public boolean isTrainable() {
        return manifest.hasTraining();
    }

    /**
     * A new training session for the calling thread, starting from this model's weights with zero optimizer slots, at
     * step 0 and epoch 0; close it when done.
     *
     * @throws IllegalStateException if the model is closed or not {@link #isTrainable() trainable}
     */
    public TrainingSession newTrainingSession() {
        requireTrainable();
        return new TrainingSession(this, null);
    }

    /**
     * A new training session for the calling thread whose steps run on {@code device} (for a device runtime such as
     * {@code OpenClModel.newTrainingSession}); the session owns the device and closes it. Otherwise as
     * {@link #newTrainingSession()}, or as {@link #newTrainingSession(Path)} when {@code checkpoint} is not null.
     */
    public TrainingSession newTrainingSession(TrainingDevice device, Path checkpoint) throws ArtifactException {
        requireTrainable();
        TrainingSession session = new TrainingSession(this, Objects.requireNonNull(device));
        return checkpoint == null ? session : restored(session, checkpoint);
    }

    /**
     * A new training session for the calling thread that resumes from {@code checkpoint}, a file written by
     * {@link TrainingSession#saveCheckpoint}: its parameters, slots, step, epoch and metadata.
     *
     * @throws ArtifactException     if the checkpoint cannot be read, or does not hold exactly this model's parameters and
     *                               slots with their dtypes and shapes, or lacks the step or epoch
     * @throws IllegalStateException if the model is closed or not {@link #isTrainable() trainable}
     */
    public TrainingSession newTrainingSession(Path checkpoint) throws ArtifactException {
        requireTrainable();
        return restored(new TrainingSession(this, null), checkpoint);
    }

    private static TrainingSession restored(TrainingSession session, Path checkpoint) throws ArtifactException {
        try {
            session.restore(checkpoint);
            return session;
        } catch (ArtifactException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Unmaps the weights. Idempotent; sessions of this model fail afterwards. */
    @Override
    public void close() {
        synchronized (arena) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    CompiledModel compiled() {
        return compiled;
    }

    /** The training entry point; only for a {@link #isTrainable() trainable} model, whose main class load checked. */
    CompiledTrainer trainer() {
        return (CompiledTrainer) compiled;
    }

    private void requireTrainable() {
        ensureOpen();
        if (!isTrainable()) {
            throw new IllegalStateException("model " + manifest.modelName() + " has no training entry point; compile a model with a "
                    + "train section to train it");
        }
    }

    void ensureOpen() {
        if (!isOpen()) {
            throw new IllegalStateException("model " + manifest.modelName() + " is closed");
        }
    }
}

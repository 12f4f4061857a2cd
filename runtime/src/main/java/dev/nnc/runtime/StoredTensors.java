package dev.nnc.runtime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies the tensors of a safetensors file (weights or a checkpoint) into a native segment by name, after checking that
 * the file holds exactly the expected tensors with the expected dtypes and shapes. Stateless.
 */
final class StoredTensors {

    private StoredTensors() {
    }

    /**
     * Reads {@code file} and copies its tensor named like {@code specs.get(i)} to {@code target} at {@code offsets.get(i)};
     * the file is mapped only for the duration of the call. Returns the file's {@code __metadata__}.
     *
     * @param what how messages name the file, e.g. {@code "weights file w.safetensors"}
     * @throws ArtifactException if the file cannot be read or parsed, lacks a tensor, holds one more, or holds one with
     *                           another dtype or shape; the message names the tensor
     */
    static Map<String, String> copyInto(Path file, List<TensorSpec> specs, List<Long> offsets, MemorySegment target, String what)
            throws ArtifactException {
        try (Arena arena = Arena.ofConfined()) {
            Safetensors stored;
            try {
                stored = Safetensors.read(file, arena);
            } catch (NoSuchFileException e) {
                throw new ArtifactException(what + " does not exist", e);
            } catch (MalformedFileException e) {
                throw new ArtifactException(what + " is not a valid safetensors file: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new ArtifactException("cannot read " + what + " (" + e + ")", e);
            }
            Map<String, Safetensors.Entry> byName = new HashMap<>();
            for (Safetensors.Entry entry : stored.entries()) {
                byName.put(entry.name(), entry);
            }
            Set<String> extra = new LinkedHashSet<>(byName.keySet());
            for (TensorSpec spec : specs) {
                Safetensors.Entry entry = byName.get(spec.name());
                if (entry == null) {
                    throw new ArtifactException(what + " has no tensor " + spec.name() + ", which the model needs as " + spec.typeString());
                }
                if (!entry.spec().equals(spec)) {
                    throw new ArtifactException(what + " holds tensor " + spec.name() + " as " + entry.spec().typeString()
                            + ", but the model needs " + spec.typeString());
                }
                extra.remove(spec.name());
            }
            if (!extra.isEmpty()) {
                throw new ArtifactException(what + " holds tensor " + extra.iterator().next() + ", which the model does not have"
                        + (extra.size() > 1 ? " (and " + (extra.size() - 1) + " more: " + extra + ")" : ""));
            }
            for (int i = 0; i < specs.size(); i++) {
                TensorSpec spec = specs.get(i);
                MemorySegment.copy(stored.tensor(spec.name()), 0, target, offsets.get(i), spec.byteSize(1));
            }
            return stored.metadata();
        }
    }
}

package dev.nnc.compiler.train;

import dev.nnc.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The files {@code nnc train -o OUT.safetensors} writes, all derived from {@code OUT}: the best weights, the
 * latest checkpoint {@code OUT.ckpt.safetensors}, {@code OUT.metrics.csv} and {@code OUT.curves.png}.
 *
 * @param weights the final weights file ({@code OUT})
 */
public record OutputFiles(Path weights) {

    public OutputFiles {
        Objects.requireNonNull(weights, "weights");
        if (weights.getFileName() == null) {
            throw new IllegalArgumentException("output path " + weights + " has no file name");
        }
    }

    /** {@code OUT} with {@code .ckpt.safetensors} in place of {@code .safetensors}. */
    public Path checkpoint() {
        return sibling(".ckpt.safetensors");
    }

    /** {@code OUT} with {@code .metrics.csv} in place of {@code .safetensors}. */
    public Path metrics() {
        return sibling(".metrics.csv");
    }

    /** {@code OUT} with {@code .curves.png} in place of {@code .safetensors}. */
    public Path curves() {
        return sibling(".curves.png");
    }

    /** {@code OUT} with {@code .samples.png} in place of {@code .safetensors}: images from a trained generator. */
    public Path samples() {
        return sibling(".samples.png");
    }

    /** Writes {@code content} beside {@code target}, then renames it over {@code target} atomically ({@link AtomicFiles}). */
    public static void writeAtomically(Path target, AtomicFiles.Content content) throws IOException {
        AtomicFiles.write(target, content);
    }

    private Path sibling(String suffix) {
        String name = weights.getFileName().toString();
        String base = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return weights.resolveSibling(base + suffix);
    }
}

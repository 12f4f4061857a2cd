package dev.nnc.compiler.cli;

import dev.nnc.dsl.ast.SourceFile;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What every command that compiles a {@code .nn} file takes (a picocli mixin): the source, which model, and its weights. */
final class ModelSource {

    @Parameters(paramLabel = "MODEL.nn", description = "the model source")
    Path source;

    @Option(names = "--model", paramLabel = "NAME", description = "the model to use when the file has several")
    String model;

    @Option(names = "--weights", paramLabel = "W.safetensors",
            description = "take the parameters from this file (PyTorch names and layouts) instead of seeded initialization")
    Path weights;

    /** The source text; a missing, unreadable or non-UTF-8 file is a {@link UserError}. */
    SourceFile read() {
        return read(source);
    }

    /** A {@code .nn} source is text; anything bigger than this is not one (and would only exhaust memory). */
    static final long MAX_SOURCE_BYTES = 16L << 20;

    static SourceFile read(Path file) {
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new UserError("nnc: " + file + ": not a regular file (a .nn source is a text file)");
            }
            if (Files.exists(file) && Files.size(file) > MAX_SOURCE_BYTES) {
                throw new UserError("nnc: " + file + ": " + Files.size(file) + " bytes is not a .nn source (at most " + MAX_SOURCE_BYTES + " bytes)");
            }
            return new SourceFile(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new UserError("nnc: " + file + ": no such file");
        } catch (MalformedInputException e) {
            throw new UserError("nnc: " + file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new UserError("nnc: " + file + ": cannot read: " + e.getMessage());
        }
    }
}

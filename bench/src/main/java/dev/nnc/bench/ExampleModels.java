package dev.nnc.bench;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.driver.WeightsException;
import dev.nnc.dsl.ast.SourceFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds and compiles the example models ({@code examples/<model>.nn}) for the benchmarks.
 *
 * <p>The repository root is the system property {@value #ROOT_PROPERTY} if set, else the nearest folder at or above
 * the working directory that holds {@code examples/}. Stateless and thread-safe.
 */
public final class ExampleModels {

    /** The system property that names the repository root explicitly. */
    public static final String ROOT_PROPERTY = "nnc.root";

    private ExampleModels() {
    }

    /** The repository root: {@code -Dnnc.root=DIR}, or the first folder from the working directory up with {@code examples/}. */
    public static Path repositoryRoot() {
        String configured = System.getProperty(ROOT_PROPERTY);
        if (configured != null) {
            Path root = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isDirectory(root.resolve("examples"))) {
                throw new IllegalStateException("-D" + ROOT_PROPERTY + "=" + configured + " has no examples/ folder");
            }
            return root;
        }
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("examples"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no examples/ folder in " + start + " or above; run from the nnc checkout or pass -D"
                + ROOT_PROPERTY + "=PATH");
    }

    /** The source of {@code examples/<model>.nn}, reported under its path relative to the repository root. */
    public static SourceFile source(String model) throws IOException {
        Path relative = Path.of("examples", model + ".nn");
        return new SourceFile(relative.toString(), Files.readString(repositoryRoot().resolve(relative)));
    }

    /** Compiles {@code examples/<model>.nn} with seeded weights into a new temporary {@code .nnc} file (deleted on exit). */
    public static Path compileToTempFile(String model) throws IOException, CompileException, WeightsException {
        return compileToTempFile(model, CompileOptions.defaults().opt());
    }

    /** As {@link #compileToTempFile(String)}, at optimization level {@code opt}. */
    public static Path compileToTempFile(String model, OptLevel opt) throws IOException, CompileException, WeightsException {
        Compiler.Compilation compilation = Compiler.compile(source(model), CompileOptions.defaults().withOpt(opt));
        Path artifact = Files.createTempFile("nnc-bench-" + model + "-" + opt + "-", ".nnc");
        artifact.toFile().deleteOnExit();
        Compiler.writeArtifact(compilation, artifact);
        return artifact;
    }
}

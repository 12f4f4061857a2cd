package dev.nnc.examples;

import dev.nnc.compiler.driver.CompileException;
import dev.nnc.compiler.driver.CompileOptions;
import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.WeightsException;
import dev.nnc.dsl.ast.SourceFile;
import dev.nnc.runtime.Npy;
import dev.nnc.runtime.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compiles the example models with the PyTorch fixture weights and reads the fixtures, for the tests of this module.
 *
 * <p>The {@code .nn} sources are read from the module directory (Maven runs tests there); the fixtures written by
 * {@code examples/pytorch/make_fixtures.py} come from the test class path under {@code fixtures/<model>/}.
 */
final class ExampleArtifacts {

    private ExampleArtifacts() {
    }

    /** Compiles {@code <model>.nn} with {@code fixtures/<model>/weights.safetensors} into {@code dir/<model>.nnc}. */
    static Path compileWithFixtureWeights(String model, Path dir) throws IOException, CompileException, WeightsException {
        Path source = Path.of(model + ".nn");
        SourceFile file = new SourceFile(source.toString(), Files.readString(source));
        CompileOptions options = CompileOptions.defaults().withWeights(fixture(model, "weights.safetensors"));
        Path artifact = dir.resolve(model + ".nnc");
        Compiler.writeArtifact(Compiler.compile(file, options), artifact);
        return artifact;
    }

    /** Reads the fixture tensor {@code fixtures/<model>/<name>.npy}, e.g. {@code x_b7} or {@code probs_b1}. */
    static Tensor readFixture(String model, String name) {
        try {
            return Npy.read(fixture(model, name + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The path of the fixture file {@code fixtures/<model>/<file>} on the test class path. */
    static Path fixture(String model, String file) {
        String resource = "/fixtures/" + model + "/" + file;
        URL url = ExampleArtifacts.class.getResource(resource);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + resource + "; see examples/pytorch/make_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource URL " + url, e);
        }
    }
}

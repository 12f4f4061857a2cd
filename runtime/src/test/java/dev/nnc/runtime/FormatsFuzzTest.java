package dev.nnc.runtime;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz targets for what the runtime reads from files (Jazzer): arbitrary bytes as an {@code .npy} tensor, a
 * safetensors file and an {@code .nnc} artifact must each be read or refused with the format's own exception — never
 * another exception, an error or a hang. Normal test runs replay the seeds under {@code FormatsFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1 mvn -pl runtime surefire:test -Dtest='FormatsFuzzTest#npy'} fuzzes one target (README: Fuzzing).
 */
class FormatsFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void npy(@NotNull byte[] data) {
        if (data == null) return;
        try {
            Npy.parse(data);
        } catch (MalformedFileException expected) {
            // refused, with a message
        }
    }

    @FuzzTest(maxDuration = "60s")
    void safetensors(@NotNull byte[] data) throws IOException {
        if (data == null) return;
        Path file = Files.createTempFile("fuzz", ".safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Files.write(file, data);
            Safetensors.read(file, arena);
        } catch (MalformedFileException expected) {
            // refused, with a message
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void artifact(@NotNull byte[] data) throws IOException {
        if (data == null) return;
        Path file = Files.createTempFile("fuzz", ".nnc");
        try {
            Files.write(file, data);
            NncModel.inspect(file, Trust.ANY);
        } catch (ArtifactException expected) {
            // refused, with a message
        } finally {
            Files.deleteIfExists(file);
        }
    }
}

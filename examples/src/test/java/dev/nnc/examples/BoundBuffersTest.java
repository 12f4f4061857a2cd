package dev.nnc.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Session#input}, {@link Session#run(int)} and {@link Session#output} give exactly what {@link Session#run(Map)} does. */
class BoundBuffersTest {

    @Test
    void boundBuffersGiveTheSameOutputsAsRun(@TempDir Path dir) throws Exception {
        Path artifact = ExampleArtifacts.compileWithFixtureWeights("mlp", dir);
        try (NncModel model = NncModel.load(artifact); Session s = model.newSession()) {
            Tensor x = ExampleArtifacts.readFixture("mlp", "x_b7");
            float[] expected = s.run(Map.of("x", x)).get("probs").toFloatArray();
            MemorySegment in = s.input("x");
            in.fill((byte) 0);
            MemorySegment.copy(x.segment(), 0, in, 0, x.segment().byteSize());
            s.run(7);
            float[] actual = s.output("probs").asSlice(0, 4L * expected.length).toArray(ValueLayout.JAVA_FLOAT);
            assertArrayEquals(expected, actual);

            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> s.input("y"));
            assertTrue(unknown.getMessage().contains("no input 'y'"), unknown.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.output("x"));
            assertThrows(IllegalArgumentException.class, () -> s.run(0));
            assertThrows(IllegalArgumentException.class, () -> s.run(model.manifest().maxBatch() + 1));
        }
    }
}

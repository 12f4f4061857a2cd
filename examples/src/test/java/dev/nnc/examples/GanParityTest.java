package dev.nnc.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GAN example's artifact (its generator, with both networks' weights) gives PyTorch's images for the same
 * noise ({@code examples/pytorch/make_gan_fixtures.py}). Tolerance per pixel: {@code 1e-5·|torch| + 1e-7}: float32
 * sums in another order shift each logit by a few ulps, and the sigmoid's slope is at most 1/4, so pixels agree to
 * ~1e-6 relative; the absolute 1e-7 only covers pixels near 0, where a relative bound would measure rounding.
 */
class GanParityTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 7})
    void generatorMatchesPyTorch(int batch) throws Exception {
        Path artifact = ExampleArtifacts.compileWithFixtureWeights("gan", dir);
        Tensor z = ExampleArtifacts.readFixture("gan", "z_b" + batch);
        Tensor expected = ExampleArtifacts.readFixture("gan", "image_b" + batch);
        Tensor image;
        try (NncModel model = NncModel.load(artifact); Session session = model.newSession()) {
            image = session.run(Map.of("z", z)).get("image");
        }
        assertArrayEquals(expected.shape(), image.shape());
        float[] got = image.toFloatArray();
        float[] want = expected.toFloatArray();
        for (int i = 0; i < want.length; i++) {
            double bound = 1e-5 * Math.abs(want[i]) + 1e-7;
            assertTrue(Math.abs(got[i] - want[i]) <= bound, "image[" + i + "] = " + got[i] + ", PyTorch " + want[i]);
        }
    }
}

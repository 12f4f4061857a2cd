package dev.nnc.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.runtime.opencl.OpenClException;
import dev.nnc.runtime.opencl.OpenClModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code bench/gpu-check --quick} on whatever OpenCL device is here (PoCL in CI, where one is required): the parity
 * suite passes and every figure is printed.
 */
class GpuCheckTest {

    @Test
    void theQuickCheckPassesAndPrintsEveryFigure() throws Exception {
        try {
            Assumptions.assumeFalse(OpenClModel.devices().isEmpty(), "no OpenCL device");
        } catch (OpenClException e) {
            if ("1".equals(System.getenv("NNC_OPENCL_REQUIRED"))) throw new AssertionError("an OpenCL device is required here", e);
            Assumptions.abort("no OpenCL: " + e.getMessage());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = GpuCheck.run(new String[] {"--quick"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertEquals(0, code, out);
        assertTrue(out.startsWith("device    "), out);
        for (String example : new String[] {"mlp", "lenet", "autoencoder", "resnet_block", "transformer", "gan", "rnn", "lstm"}) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith("parity    " + example + " ") && l.contains("ok: batch 1, 7, ")), example + " in:\n" + out);
        }
        assertTrue(out.contains("one training step"), out);
        assertTrue(out.contains("sgemm     256³: ") && out.contains("sgemm     512³: "), out);
        assertTrue(out.contains("chain     8 fused ops over 2 M floats: ") && out.contains("1 kernel"), out);
        for (String model : new String[] {"mlp", "lenet", "transformer"}) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith("latency   " + model + " ") && l.contains("JVM / OpenCL")), model + " in:\n" + out);
        }
        assertTrue(out.strip().endsWith("s in all") && out.contains("parity    holds"), out);
    }
}

package dev.nnc.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.OpenClDevices;
import dev.nnc.runtime.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device} on {@code run}, {@code train} and {@code bench}: a name that is no device is refused with the
 * choices; on an OpenCL device, {@code nnc train} trains and writes its weights, and {@code nnc bench} checks every
 * variant against the CPU and prints both devices side by side.
 */
class DeviceCommandsTest {

    private static final String TINY = """
            model Tiny(x: f32[B<=8, 4]) -> probs {
                logits = x |> dense(3)
                probs = softmax(logits)
            }

            train Tiny {
                target y: i32[B]
                loss cross_entropy(logits, y)
                optimizer sgd(lr=0.1, momentum=0.9)
                batch 4; epochs 3
            }
            """;

    @Test
    void aDeviceThatIsNoneIsRefusedWithTheChoices(@TempDir Path dir) throws Exception {
        Path source = Files.writeString(dir.resolve("tiny.nn"), TINY);
        for (String[] args : new String[][] {
                {"bench", source.toString(), "--device", "cpu,gpu"},
                {"train", source.toString(), "--data", dir.resolve("none.csv").toString(), "-o", dir.resolve("w.safetensors").toString(), "--device", "cuda"},
                {"run", dir.resolve("tiny.nnc").toString(), "-i", "x=x.npy", "--device", "opencl:x"}}) {
            CliTest.Outcome o = CliTest.nnc(args);
            assertEquals(Main.USER_ERROR, o.code(), o.err());
            assertTrue(o.err().contains("is not cpu, opencl or opencl:N (`nnc devices` lists N)"), o.err());
        }
    }

    @Test
    void trainingOnTheDeviceWritesItsWeights(@TempDir Path dir) throws Exception {
        OpenClDevices.assumeOne();
        Path source = Files.writeString(dir.resolve("tiny.nn"), TINY);
        StringBuilder csv = new StringBuilder();
        SplittableRandom random = new SplittableRandom(3);
        for (int row = 0; row < 32; row++) {
            int label = random.nextInt(3);
            csv.append(label);
            for (int f = 0; f < 4; f++) csv.append(String.format(Locale.ROOT, ",%.4f", (f == label ? 1 : 0) + 0.1 * random.nextDouble()));
            csv.append('\n');
        }
        Path data = Files.writeString(dir.resolve("data.csv"), csv);
        Path weights = dir.resolve("tiny.safetensors");

        CliTest.Outcome o = CliTest.nnc("train", source.toString(), "--data", data.toString(), "-o", weights.toString(), "--device", "opencl:0");

        assertEquals(Main.OK, o.code(), o.err());
        assertTrue(o.out().startsWith("training on OpenCL device "), o.out());
        assertTrue(o.out().contains("epoch  3/3"), o.out());
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(2, Safetensors.read(weights, arena).entries().size(), "fc1.weight and fc1.bias");
        }
    }

    @Test
    void benchShowsBothDevicesSideBySide(@TempDir Path dir) throws Exception {
        OpenClDevices.assumeOne();
        Path source = Files.writeString(dir.resolve("tiny.nn"), TINY);

        CliTest.Outcome o = CliTest.nnc("bench", source.toString(), "--device", "cpu,opencl", "--iterations", "3", "--batch", "1,8");

        assertEquals(Main.OK, o.code(), o.err());
        for (String row : new String[] {"cpu -O0", "cpu -O2", "opencl -O0", "opencl -O2", "cpu speedup", "opencl speedup", "cpu / opencl"}) {
            assertTrue(o.out().lines().anyMatch(l -> l.startsWith(row + " ")), "a row `" + row + "` in:\n" + o.out());
        }
    }
}

package dev.nnc.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.OpenClDevices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user without an OpenCL device sees: {@code nnc devices} and {@code nnc run --device opencl} in a JVM whose
 * ICD loader finds no platform (an empty {@code OCL_ICD_VENDORS} directory) say what to install, exit 1, and print
 * no stack trace; with a device, {@code nnc devices} lists it.
 */
class OpenClErrorPathsTest {

    @Test
    void withoutAPlatformTheCommandsSayWhatToInstall(@TempDir Path dir) throws Exception {
        Path noVendors = Files.createDirectories(dir.resolve("vendors"));
        Path artifact = dir.resolve("mlp.nnc");
        assertEquals(0, nnc(List.of("compile", Path.of("..", "examples", "mlp.nn").toString(), "-o", artifact.toString()), null).code);

        Outcome devices = nnc(List.of("devices"), noVendors);
        Outcome run = nnc(List.of("run", artifact.toString(), "-i", "x=" + Path.of("..", "examples", "src", "test", "resources", "fixtures",
                "mlp", "x_b1.npy"), "--out", dir.toString(), "--device", "opencl"), noVendors);

        String advice = "no OpenCL platform: install a driver for your GPU, or `apt-get install pocl-opencl-icd` for OpenCL on the CPU";
        assertEquals(1, devices.code, devices.output);
        assertEquals("nnc devices: " + advice, devices.output.strip());
        assertEquals(1, run.code, run.output);
        assertEquals("nnc run: " + advice + " (--device cpu runs on the JVM)", run.output.strip());
    }

    @Test
    void devicesListsWhatThereIs() throws Exception {
        OpenClDevices.assumeOne();
        Outcome devices = nnc(List.of("devices"), null);
        assertEquals(0, devices.code, devices.output);
        assertTrue(devices.output.startsWith("* opencl:0  "), devices.output);
    }

    @Test
    void aProgramTheDeviceRefusesIsReportedWithItsBuildLog() throws Exception {
        OpenClDevices.assumeOne();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.nnc.runtime.opencl.OpenClException.class,
                    () -> dev.nnc.runtime.opencl.OpenClModel.create(64, arena.allocate(64),
                            new dev.nnc.runtime.OpenClSchedule("__kernel void k(__global float* a) { a[0] = undefined_name; }", List.of())));
            assertTrue(e.getMessage().contains("could not build the program: ") && e.getMessage().contains("undefined_name"), e.getMessage());
        }
    }

    @Test
    void aProgramTooBigForTheDeviceSaysBothSizesBeforeAllocating() throws Exception {
        OpenClDevices.assumeOne();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.nnc.runtime.opencl.OpenClException.class,
                    () -> dev.nnc.runtime.opencl.OpenClModel.create(1L << 50, arena.allocate(64),
                            new dev.nnc.runtime.OpenClSchedule("__kernel void k(__global float* a, __global float* w, const int b) { }", List.of())));
            assertTrue(e.getMessage().startsWith("the kernel program needs 1073741824.0 MiB for its arena, but OpenCL device ")
                    && e.getMessage().contains(" allocates at most ") && e.getMessage().endsWith("or run it with --device cpu"), e.getMessage());
        }
    }

    private record Outcome(int code, String output) {}

    /** Runs the CLI in a fresh JVM, with {@code OCL_ICD_VENDORS} set to {@code vendors} when it is not null. */
    private static Outcome nnc(List<String> args, Path vendors) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (vendors != null) pb.environment().put("OCL_ICD_VENDORS", vendors.toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n");
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "nnc did not finish");
        return new Outcome(p.exitValue(), output);
    }
}

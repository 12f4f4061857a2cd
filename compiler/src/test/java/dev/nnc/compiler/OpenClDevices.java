package dev.nnc.compiler;

import dev.nnc.runtime.OpenClSchedule;
import dev.nnc.runtime.opencl.OpenClException;
import dev.nnc.runtime.opencl.OpenClModel;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** For tests of the OpenCL backend: whether this machine has an OpenCL device, and whether it must. */
public final class OpenClDevices {

    private OpenClDevices() {}

    /**
     * Skips the calling test when no OpenCL device is there, or fails it where one is required: CI sets
     * {@code NNC_OPENCL_REQUIRED=1} (or {@code -Dnnc.opencl.required=true}) after installing PoCL.
     */
    public static void assumeOne() {
        try (Arena arena = Arena.ofConfined(); OpenClModel probe = OpenClModel.create(64, arena.allocate(64),
                new OpenClSchedule("__kernel void k(__global float* a, __global const float* w, const int b) { }", List.of()))) {
            System.out.println("OpenCL device: " + probe.deviceName());
        } catch (OpenClException e) {
            if (Boolean.getBoolean("nnc.opencl.required") || "1".equals(System.getenv("NNC_OPENCL_REQUIRED"))) {
                throw new AssertionError("an OpenCL device is required here: " + e.getMessage(), e);
            }
            Assumptions.abort("no OpenCL device: " + e.getMessage());
        }
    }
}

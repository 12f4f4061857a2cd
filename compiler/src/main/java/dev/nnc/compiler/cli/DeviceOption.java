package dev.nnc.compiler.cli;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.opencl.OpenClException;
import dev.nnc.runtime.opencl.OpenClModel;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** {@code --device cpu|opencl|opencl:N}, where a command runs a model (a picocli mixin for run, train and bench). */
final class DeviceOption {

    private static final Pattern OPENCL = Pattern.compile("opencl(?::(\\d{1,4}))?");

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
            description = "where to run: cpu (the generated JVM code, the default; also jvm), opencl (the artifact's OpenCL program on the "
                    + "first GPU, else the first OpenCL device; -Dnnc.opencl.device=NAME picks by name) or opencl:N (device N of `nnc devices`)")
    String device;

    /** Whether the model runs on the CPU, through the generated JVM code. */
    boolean cpu(String command) {
        return isCpu(command, device);
    }

    /** The model's OpenCL program on the chosen device; no device or no OpenCL is a {@link UserError} naming the fix. */
    OpenClModel openCl(String command, NncModel model) {
        return openCl(command, device, model);
    }

    /** Whether {@code device} names the CPU; a name that is no device is a {@link UserError}. */
    static boolean isCpu(String command, String device) {
        if (device.equals("cpu") || device.equals("jvm")) return true;
        if (OPENCL.matcher(device).matches()) return false;
        throw new UserError("nnc " + command + ": --device " + device + " is not cpu, opencl or opencl:N (`nnc devices` lists N)");
    }

    /** {@link #openCl(String, NncModel)} for the OpenCL device {@code device} names. */
    static OpenClModel openCl(String command, String device, NncModel model) {
        Matcher m = OPENCL.matcher(device);
        if (!m.matches()) throw new IllegalStateException("--device " + device + " is not an OpenCL device");
        try {
            return OpenClModel.load(model, m.group(1) == null ? -1 : Integer.parseInt(m.group(1)));
        } catch (OpenClException e) {
            throw new UserError("nnc " + command + ": " + e.getMessage() + " (--device cpu runs on the JVM)");
        }
    }
}

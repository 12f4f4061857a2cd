package dev.nnc.compiler.cli;

import dev.nnc.runtime.opencl.OpenClException;
import dev.nnc.runtime.opencl.OpenClModel;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code nnc devices}: the OpenCL devices {@code nnc run --device opencl} can use, the one it picks first. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the OpenCL devices (GPUs first; `--device opencl` uses the first, `--device opencl:N` device N, "
                + "-Dnnc.opencl.device=NAME the first whose name contains NAME).")
final class DevicesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<OpenClModel.Device> devices;
        try {
            devices = OpenClModel.devices();
        } catch (OpenClException e) {
            throw new UserError("nnc devices: " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (devices.isEmpty()) {
            throw new UserError("nnc devices: the OpenCL platforms have no device; install a driver for your GPU, or pocl-opencl-icd");
        }
        for (int i = 0; i < devices.size(); i++) {
            OpenClModel.Device d = devices.get(i);
            out.printf(Locale.ROOT, "%s opencl:%d  %s %s (%s), %d compute units, %.1f GiB, %s%n", i == 0 ? "*" : " ", i, d.gpu() ? "GPU" : "device",
                    d.name(), d.platform(), d.computeUnits(), d.globalMemoryBytes() / (double) (1L << 30), d.version());
        }
        out.println("* is what --device opencl picks; --device opencl:N picks device N");
        return Main.OK;
    }
}

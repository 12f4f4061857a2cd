package dev.nnc.runtime.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;

import dev.nnc.runtime.Sha256;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * Chooses {@link GemmTiles} for a device the way CLBlast's tuner does, in small: at the first use of a device, each
 * candidate that fits the device's work-group and local-memory limits multiplies two square matrices a few times
 * ({@value #CPU_SIZE}² on a CPU, {@value #GPU_SIZE}² on a GPU, whose many compute units a smaller problem would leave
 * idle with large tiles), and the fastest wins. The choice is cached per device, driver and GEMM source in
 * {@code ~/.cache/nnc/opencl-gemm-tiles.properties} (the directory is {@code nnc.cache.dir} when set), so later
 * loads cost nothing; {@code -Dnnc.opencl.gemm.tiles=tm,tn,tk,rm,rn} skips the search.
 */
final class GemmTuner {

    /** The tuning problem's size on a CPU device: a few milliseconds per run under PoCL. */
    static final int CPU_SIZE = 512;
    /** On a GPU: enough 128² tiles (256) to occupy every compute unit of a large GPU, still milliseconds per run. */
    static final int GPU_SIZE = 2048;

    private static final System.Logger LOG = System.getLogger(GemmTuner.class.getName());
    private static final String CACHE_FILE = "opencl-gemm-tiles.properties";

    private GemmTuner() {}

    /** The tiles for {@code device}, described by {@code deviceKey} (name and driver version): forced, cached or tuned now. */
    static synchronized GemmTiles tiles(cl_context context, cl_command_queue queue, cl_device_id device, String deviceKey) {
        String forced = System.getProperty("nnc.opencl.gemm.tiles");
        if (forced != null) return GemmTiles.parse(forced);
        String source = GemmTiles.source();
        String key = Sha256.of((deviceKey + "\n" + source).getBytes(StandardCharsets.UTF_8));
        Path cache = cacheFile();
        Properties known = read(cache);
        if (known.getProperty(key) != null) {
            try {
                return GemmTiles.parse(known.getProperty(key));
            } catch (IllegalArgumentException e) {
                // a damaged entry: tune again and overwrite it
            }
        }
        GemmTiles best = tune(context, queue, device, source, deviceKey);
        known.setProperty(key, best.toString());
        write(cache, known, deviceKey);
        return best;
    }

    private static GemmTiles tune(cl_context context, cl_command_queue queue, cl_device_id device, String source, String deviceKey) {
        long maxGroup = sizeInfo(device, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE);
        long localMemory = longInfo(device, CL.CL_DEVICE_LOCAL_MEM_SIZE);
        int size = (longInfo(device, CL.CL_DEVICE_TYPE) & CL.CL_DEVICE_TYPE_GPU) != 0 ? GPU_SIZE : CPU_SIZE;
        long bytes = 4L * size * size;
        cl_mem a = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        cl_mem b = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        cl_mem c = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        GemmTiles best = GemmTiles.DEFAULT;
        double bestSeconds = Double.POSITIVE_INFINITY;
        try {
            CL.clEnqueueFillBuffer(queue, a, Pointer.to(new float[] {0.5f}), Sizeof.cl_float, 0, bytes, 0, null, null);
            CL.clEnqueueFillBuffer(queue, b, Pointer.to(new float[] {0.25f}), Sizeof.cl_float, 0, bytes, 0, null, null);
            for (GemmTiles tiles : GemmTiles.candidates()) {
                if (tiles.threads() > maxGroup || tiles.localBytes() > localMemory) continue;
                double seconds = time(context, queue, device, source, tiles, size, a, b, c);
                if (seconds < bestSeconds) {
                    bestSeconds = seconds;
                    best = tiles;
                }
            }
        } finally {
            CL.clReleaseMemObject(a);
            CL.clReleaseMemObject(b);
            CL.clReleaseMemObject(c);
        }
        LOG.log(Level.INFO, "nnc: OpenCL GEMM tiles for {0}: {1} ({2} GFLOP/s at {3}³)", deviceKey, best,
                String.format(java.util.Locale.ROOT, "%.1f", 2.0 * size * size * size / bestSeconds / 1e9), size);
        return best;
    }

    /** The best of three timed runs after a warm-up, in seconds; infinite when the device refuses the candidate. */
    private static double time(cl_context context, cl_command_queue queue, cl_device_id device, String source, GemmTiles tiles, int size,
                               cl_mem a, cl_mem b, cl_mem c) {
        String kernelSource = source + """

                __kernel __attribute__((reqd_work_group_size(NNC_THREADS, 1, 1)))
                void nnc_tune(__global const float* a, __global const float* b, __global float* c, const int size) {
                    __local float as[NNC_TK * NNC_TM];
                    __local float bs[NNC_TK * NNC_TN];
                    const long tiles = (size + NNC_TN - 1) / NNC_TN;
                    nnc_gemm_tile(a, b, c, size, size, size, size, size, size, 0, 0, 0, get_group_id(0) / tiles, get_group_id(0) % tiles, as, bs);
                }
                """;
        cl_program program = CL.clCreateProgramWithSource(context, 1, new String[] {kernelSource}, null, null);
        cl_kernel kernel = null;
        try {
            CL.clBuildProgram(program, 0, null, "-cl-std=CL1.2 " + tiles.buildOptions(), null, null);
            kernel = CL.clCreateKernel(program, "nnc_tune", null);
            if (kernelWorkGroupSize(kernel, device) < tiles.threads()) return Double.POSITIVE_INFINITY;
            CL.clSetKernelArg(kernel, 0, Sizeof.cl_mem, Pointer.to(a));
            CL.clSetKernelArg(kernel, 1, Sizeof.cl_mem, Pointer.to(b));
            CL.clSetKernelArg(kernel, 2, Sizeof.cl_mem, Pointer.to(c));
            CL.clSetKernelArg(kernel, 3, Sizeof.cl_int, Pointer.to(new int[] {size}));
            long groups = (long) ((size + tiles.tm() - 1) / tiles.tm()) * ((size + tiles.tn() - 1) / tiles.tn());
            long[] global = {groups * tiles.threads()};
            long[] local = {tiles.threads()};
            double best = Double.POSITIVE_INFINITY;
            for (int run = 0; run < 4; run++) {
                long start = System.nanoTime();
                CL.clEnqueueNDRangeKernel(queue, kernel, 1, null, global, local, 0, null, null);
                CL.clFinish(queue);
                if (run > 0) best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            return best;
        } catch (CLException e) {
            return Double.POSITIVE_INFINITY;    // the device cannot build or run these tiles: another candidate will do
        } finally {
            if (kernel != null) CL.clReleaseKernel(kernel);
            CL.clReleaseProgram(program);
        }
    }

    static long kernelWorkGroupSize(cl_kernel kernel, cl_device_id device) {
        long[] size = new long[1];
        CL.clGetKernelWorkGroupInfo(kernel, device, CL.CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
        return size[0];
    }

    private static long sizeInfo(cl_device_id device, int param) {
        long[] value = new long[1];
        CL.clGetDeviceInfo(device, param, Sizeof.size_t, Pointer.to(value), null);
        return value[0];
    }

    private static long longInfo(cl_device_id device, int param) {
        long[] value = new long[1];
        CL.clGetDeviceInfo(device, param, Sizeof.cl_ulong, Pointer.to(value), null);
        return value[0];
    }

    private static Path cacheFile() {
        String dir = System.getProperty("nnc.cache.dir");
        return (dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "nnc")).resolve(CACHE_FILE);
    }

    private static Properties read(Path cache) {
        Properties known = new Properties();
        if (Files.isRegularFile(cache)) {
            try (Reader in = Files.newBufferedReader(cache, StandardCharsets.UTF_8)) {
                known.load(in);
            } catch (IOException | IllegalArgumentException e) {
                known.clear();    // unreadable: tune again
            }
        }
        return known;
    }

    /** Writes the cache aside and renames it into place; a cache that cannot be written only means tuning again next time. */
    private static void write(Path cache, Properties known, String deviceKey) {
        try {
            Files.createDirectories(cache.getParent());
            Path temp = Files.createTempFile(cache.getParent(), CACHE_FILE, ".tmp");
            try (Writer out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                known.store(out, "nnc OpenCL GEMM tiles (tm,tn,tk,rm,rn) per device, driver and GEMM source; last tuned: " + deviceKey);
            }
            Files.move(temp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "nnc: cannot cache OpenCL GEMM tiles in {0}: {1}", cache, e.getMessage());
        }
    }
}

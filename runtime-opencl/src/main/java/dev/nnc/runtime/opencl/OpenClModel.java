package dev.nnc.runtime.opencl;

import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.CL_TRUE;

import dev.nnc.runtime.ArtifactException;
import dev.nnc.runtime.Manifest;
import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.OpenClSchedule;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.TrainingSession;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * A compiled model's OpenCL program on one device: the program built once, the weights uploaded once, one device
 * arena laid out by the same memory plan as the JVM backend's, and the kernels launched in the schedule's order on
 * one in-order queue. {@link #run} is the OpenCL counterpart of {@link Session#run(Map)}; calls are serialized.
 * {@link #newTrainingSession()} trains the model on the device, its parameters and optimizer slots resident there.
 *
 * <p>The device is the first GPU of any platform, else the first device of any kind (PoCL runs OpenCL on the CPU);
 * the system property {@code nnc.opencl.device} picks the first device whose name contains its value instead.
 */
public final class OpenClModel implements AutoCloseable {

    /** The artifact this program came from; null for a kernel program run through {@link #runArena}. */
    private final NncModel model;
    private final Manifest manifest;
    private final String deviceName;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final OpenClSchedule schedule;
    /** The GEMM tiles the program was built with (tuned for the device when the program has a tiled GEMM). */
    private final GemmTiles tiles;
    /** The device's compute units: a tiled GEMM with fewer tiles than this runs its direct kernel. */
    private final int computeUnits;
    private final cl_mem arena;
    private final cl_mem weights;
    private final List<Bound> kernels = new ArrayList<>();
    private boolean closed;

    private OpenClModel(NncModel model, Manifest manifest, String deviceName, cl_context context, cl_command_queue queue, cl_program program,
                        OpenClSchedule schedule, GemmTiles tiles, int computeUnits, cl_mem arena, cl_mem weights) {
        this.model = model;
        this.manifest = manifest;
        this.deviceName = deviceName;
        this.context = context;
        this.queue = queue;
        this.program = program;
        this.schedule = schedule;
        this.tiles = tiles;
        this.computeUnits = computeUnits;
        this.arena = arena;
        this.weights = weights;
    }

    /**
     * The OpenCL program of a loaded artifact on a device, with the artifact's weights uploaded.
     *
     * @throws OpenClException when the artifact has no OpenCL program (the compiler said why when it compiled it), or
     *                         there is no OpenCL library or device, or the device refuses the program
     */
    public static OpenClModel load(NncModel model) throws OpenClException {
        return load(model, -1);
    }

    /**
     * {@link #load(NncModel)} on device {@code device} of {@link #devices()} ({@code --device opencl:N}); a negative index
     * picks as {@link #load(NncModel)} does.
     */
    public static OpenClModel load(NncModel model, int device) throws OpenClException {
        OpenClSchedule schedule = model.openCl().orElseThrow(() -> new OpenClException("artifact " + model.manifest().modelName()
                + " has no OpenCL program: it predates the OpenCL backend; recompile it with `nnc compile`, or run it on the CPU"));
        return create(model, model.manifest(), model.manifest().arenaBytes(), model.weights(), schedule, device);
    }

    /**
     * Builds {@code schedule} for a device and uploads {@code weightsSegment} (the weights laid out as the artifact's
     * data section) to it.
     *
     * @throws OpenClException when there is no OpenCL library or device, or the device refuses the program
     */
    public static OpenClModel create(Manifest manifest, MemorySegment weightsSegment, OpenClSchedule schedule) throws OpenClException {
        return create(null, manifest, manifest.arenaBytes(), weightsSegment, schedule, -1);
    }

    /**
     * Like {@link #create(Manifest, MemorySegment, OpenClSchedule)} for a kernel program with no artifact around it:
     * run it with {@link #runArena}, which moves the whole arena.
     */
    public static OpenClModel create(long arenaBytes, MemorySegment weightsSegment, OpenClSchedule schedule) throws OpenClException {
        return create(null, null, arenaBytes, weightsSegment, schedule, -1);
    }

    private static OpenClModel create(NncModel nnc, Manifest manifest, long arenaBytes, MemorySegment weightsSegment, OpenClSchedule schedule,
                                      int deviceIndex) throws OpenClException {
        try {
            CL.setExceptionsEnabled(true);
            cl_device_id device = pickDevice(deviceIndex);
            String name = info(device);
            cl_context context = CL.clCreateContext(null, 1, new cl_device_id[] {device}, null, null, null);
            cl_command_queue queue = CL.clCreateCommandQueueWithProperties(context, device, null, null);
            cl_program program = CL.clCreateProgramWithSource(context, 1, new String[] {schedule.source()}, null, null);
            OpenClModel model = null;
            try {
                boolean gemm = Stream.concat(schedule.launches().stream(), schedule.trainLaunches().stream()).anyMatch(l -> l.gemm() != null);
                GemmTiles tiles = gemm ? GemmTuner.tiles(context, queue, device, name + " / " + deviceString(device, CL.CL_DRIVER_VERSION))
                        : GemmTiles.DEFAULT;
                try {
                    CL.clBuildProgram(program, 0, null, "-cl-std=CL1.2 " + tiles.buildOptions(), null, null);
                } catch (CLException e) {
                    throw new OpenClException("the OpenCL device " + name + " could not build the program: " + buildLog(program, device), e);
                }
                requireFits(device, name, manifest, "arena", arenaBytes, arenaBytes + weightsSegment.byteSize());
                requireFits(device, name, manifest, "weights", weightsSegment.byteSize(), arenaBytes + weightsSegment.byteSize());
                cl_mem arena = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(4, arenaBytes), null, null);
                cl_mem weights = CL.clCreateBuffer(context, CL_MEM_READ_ONLY, Math.max(4, weightsSegment.byteSize()), null, null);
                int[] units = new int[1];
                CL.clGetDeviceInfo(device, CL.CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint, Pointer.to(units), null);
                model = new OpenClModel(nnc, manifest, name, context, queue, program, schedule, tiles, units[0], arena, weights);
                write(queue, weights, 0, weightsSegment);
                model.kernels.addAll(model.bind(schedule.launches(), arena, weights));
                return model;
            } catch (OpenClException | CLException e) {
                if (model != null) {
                    model.close();    // releases everything it holds
                } else {
                    CL.clReleaseProgram(program);
                    CL.clReleaseCommandQueue(queue);
                    CL.clReleaseContext(context);
                }
                throw e;
            }
        } catch (UnsatisfiedLinkError e) {
            throw noLibrary(e);
        } catch (CLException e) {
            throw new OpenClException("OpenCL failed: " + e.getMessage(), e);
        }
    }

    /**
     * A new training session whose steps run on this device, from the model's weights with zero optimizer slots, or
     * resumed from {@code checkpoint} when it is not null (checkpoints are the JVM backend's, in both directions). The
     * session keeps its own device arena and state; close it before this model.
     *
     * @throws IllegalStateException when the model has no training step, or was not loaded from an artifact
     * @throws ArtifactException     when the checkpoint cannot be read or does not fit the model
     */
    public synchronized TrainingSession newTrainingSession(Path checkpoint) throws ArtifactException {
        ensureOpen();
        if (model == null || !model.isTrainable() || schedule.trainLaunches().isEmpty()) {
            throw new IllegalStateException("model " + (manifest == null ? "(a kernel program)" : manifest.modelName())
                    + " has no training step on OpenCL; compile a model with a train section");
        }
        OpenClTrainer trainer = new OpenClTrainer(this, manifest);
        return model.newTrainingSession(trainer, checkpoint);
    }

    /** {@link #newTrainingSession(Path)} from the model's weights. */
    public TrainingSession newTrainingSession() {
        try {
            return newTrainingSession(null);
        } catch (ArtifactException e) {
            throw new IllegalStateException("no checkpoint was read", e);
        }
    }

    /** The GEMM tile parameters the program was built with on this device. */
    public GemmTiles gemmTiles() {
        return tiles;
    }

    /** The device this model runs on, by its driver's name. */
    public String deviceName() {
        return deviceName;
    }

    /**
     * Runs the model on the device: validates {@code inputs} as {@link Session#run(Map)} does, writes them into the
     * device arena, launches every kernel and reads the outputs back.
     */
    public synchronized Map<String, Tensor> run(Map<String, Tensor> inputs) {
        if (manifest == null) throw new IllegalStateException("a kernel program without an artifact runs through runArena");
        ensureOpen();
        return infer(kernels, arena, inputs, Session.checkInputs(inputs, manifest.inputs(), manifest.maxBatch()));
    }

    /** Runs the inference kernels {@code bound} to {@code deviceArena} on validated {@code inputs}. */
    synchronized Map<String, Tensor> infer(List<Bound> bound, cl_mem deviceArena, Map<String, Tensor> inputs, int batch) {
        ensureOpen();
        List<TensorSpec> specs = manifest.inputs();
        for (int i = 0; i < specs.size(); i++) {
            write(queue, deviceArena, manifest.inputOffsets().get(i), inputs.get(specs.get(i).name()).segment());
        }
        launch(bound, schedule.launches(), batch);
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        try (Arena host = Arena.ofConfined()) {
            for (int i = 0; i < manifest.outputs().size(); i++) {
                TensorSpec spec = manifest.outputs().get(i);
                MemorySegment copy = host.allocate(Math.max(4, spec.byteSize(batch)), 64);
                read(deviceArena, manifest.outputOffsets().get(i), copy.asSlice(0, spec.byteSize(batch)));
                outputs.put(spec.name(), Tensor.copyOf(spec.dtype(), copy, spec.shapeAt(batch)));
            }
        }
        return Collections.unmodifiableMap(outputs);
    }

    /** Writes the whole host {@code arena} to the device, runs every kernel at {@code batch}, and reads the arena back into it. */
    public synchronized void runArena(MemorySegment hostArena, int batch) {
        ensureOpen();
        write(queue, arena, 0, hostArena);
        launch(kernels, schedule.launches(), batch);
        read(arena, 0, hostArena);
    }

    /**
     * Launches every kernel at {@code batch} over the device arena as it stands (after a {@link #runArena} or
     * {@link #run}) and waits for them: no copies, for timing the kernels alone.
     */
    public synchronized void launchResident(int batch) {
        ensureOpen();
        launch(kernels, schedule.launches(), batch);
        CL.clFinish(queue);
    }

    /** Copies {@code buffer}'s bytes from {@code offset} into {@code into}, waiting for them. */
    void read(cl_mem buffer, long offset, MemorySegment into) {
        if (into.byteSize() == 0) return;
        if (into.isNative() && !into.isReadOnly()) {
            CL.clEnqueueReadBuffer(queue, buffer, CL_TRUE, offset, into.byteSize(), Pointer.to(into.asByteBuffer()), 0, null, null);
            return;
        }
        try (Arena staging = Arena.ofConfined()) {
            MemorySegment copy = staging.allocate(into.byteSize(), 64);
            read(buffer, offset, copy);
            into.copyFrom(copy);
        }
    }

    /** Copies {@code data} to {@code buffer} at {@code offset}. */
    void write(cl_mem buffer, long offset, MemorySegment data) {
        write(queue, buffer, offset, data);
    }

    /** A device buffer of {@code bytes} (at least 4) in this model's context. */
    cl_mem allocate(long bytes) {
        return CL.clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(4, bytes), null, null);
    }

    /**
     * Refuses, before anything is allocated, a buffer larger than the device allocates at once or models that need
     * more than its memory, naming both sizes and what to do.
     */
    private static void requireFits(cl_device_id device, String deviceName, Manifest manifest, String what, long bytes, long total)
            throws OpenClException {
        long[] maxAlloc = new long[1];
        long[] global = new long[1];
        CL.clGetDeviceInfo(device, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE, Sizeof.cl_ulong, Pointer.to(maxAlloc), null);
        CL.clGetDeviceInfo(device, CL.CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong, Pointer.to(global), null);
        String model = manifest == null ? "the kernel program" : "model " + manifest.modelName();
        if (bytes > maxAlloc[0]) {
            throw new OpenClException(String.format(java.util.Locale.ROOT, "%s needs %s for its %s, but OpenCL device %s allocates at most %s in one "
                    + "buffer; compile with a smaller --max-batch, or run it with --device cpu", model, mebibytes(bytes), what, deviceName, mebibytes(maxAlloc[0])));
        }
        if (total > global[0]) {
            throw new OpenClException(String.format(java.util.Locale.ROOT, "%s needs %s of device memory (arena and weights), but OpenCL device %s "
                    + "has %s; compile with a smaller --max-batch, or run it with --device cpu", model, mebibytes(total), deviceName, mebibytes(global[0])));
        }
    }

    private static String mebibytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /** A launch's kernel object, and for a tiled GEMM the direct kernel it runs instead when C is smaller than a tile. */
    record Bound(cl_kernel kernel, cl_kernel direct) {
        void release() {
            CL.clReleaseKernel(kernel);
            if (direct != null) CL.clReleaseKernel(direct);
        }
    }

    /** The kernel objects of every launch, with their arena and weights arguments set. */
    List<Bound> bind(List<OpenClSchedule.Launch> launches, cl_mem deviceArena, cl_mem deviceWeights) {
        List<cl_kernel> created = new ArrayList<>();
        List<Bound> bound = new ArrayList<>();
        try {
            for (OpenClSchedule.Launch launch : launches) {
                cl_kernel kernel = kernel(launch.kernel(), deviceArena, deviceWeights, created);
                bound.add(new Bound(kernel, launch.gemm() == null ? null : kernel(launch.gemm().direct(), deviceArena, deviceWeights, created)));
            }
            return bound;
        } catch (CLException e) {
            created.forEach(CL::clReleaseKernel);
            throw e;
        }
    }

    private cl_kernel kernel(String name, cl_mem deviceArena, cl_mem deviceWeights, List<cl_kernel> created) {
        cl_kernel kernel = CL.clCreateKernel(program, name, null);
        created.add(kernel);
        CL.clSetKernelArg(kernel, 0, Sizeof.cl_mem, Pointer.to(deviceArena));
        CL.clSetKernelArg(kernel, 1, Sizeof.cl_mem, Pointer.to(deviceWeights));
        return kernel;
    }

    /**
     * Enqueues {@code bound} in order at {@code batch} (the launches of their schedule give the global sizes); a tiled
     * GEMM whose C has fewer rows or columns than half a tile, or fewer tiles than the device has compute units (most
     * of which its tiles would leave idle), runs its direct kernel.
     */
    void launch(List<Bound> bound, List<OpenClSchedule.Launch> launches, int batch) {
        int[] batchArg = {batch};
        for (int k = 0; k < launches.size(); k++) {
            OpenClSchedule.Launch launch = launches.get(k);
            OpenClSchedule.GemmGrid gemm = launch.gemm();
            boolean tiled = gemm != null && gemm.rows(batch) >= tiles.tm() / 2 && gemm.columns(batch) >= tiles.tn() / 2
                    && gemm.groups(batch, tiles.tm(), tiles.tn()) >= computeUnits;
            cl_kernel kernel = gemm != null && !tiled ? bound.get(k).direct() : bound.get(k).kernel();
            CL.clSetKernelArg(kernel, 2, Sizeof.cl_int, Pointer.to(batchArg));
            if (tiled) {
                long groups = gemm.groups(batch, tiles.tm(), tiles.tn());
                CL.clEnqueueNDRangeKernel(queue, kernel, 1, null, new long[] {groups * tiles.threads()}, new long[] {tiles.threads()}, 0, null, null);
            } else {
                long items = gemm == null ? launch.globalSize(batch) : Math.multiplyExact(gemm.rows(batch) * gemm.columns(batch), gemm.products(batch));
                CL.clEnqueueNDRangeKernel(queue, kernel, 1, null, new long[] {items}, null, 0, null, null);
            }
        }
    }

    OpenClSchedule schedule() {
        return schedule;
    }

    void ensureOpen() {
        if (closed) throw new IllegalStateException("OpenCL model " + (manifest == null ? "" : manifest.modelName() + " ") + "is closed");
    }

    /**
     * Copies {@code data} to {@code buffer} at {@code offset}, through a writable native copy: JOCL takes only direct,
     * writable buffers, and a mapped weights file or a tensor view may be neither.
     */
    private static void write(cl_command_queue queue, cl_mem buffer, long offset, MemorySegment data) {
        if (data.byteSize() == 0) return;
        try (Arena staging = Arena.ofConfined()) {
            MemorySegment copy = staging.allocate(data.byteSize(), 64);
            copy.copyFrom(data);
            CL.clEnqueueWriteBuffer(queue, buffer, CL_TRUE, offset, copy.byteSize(), Pointer.to(copy.asByteBuffer()), 0, null, null);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        kernels.forEach(Bound::release);
        CL.clReleaseMemObject(arena);
        CL.clReleaseMemObject(weights);
        CL.clReleaseProgram(program);
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
    }

    /** An OpenCL device as its driver describes it; {@code version} is its OpenCL version string ("OpenCL 3.0 PoCL …"). */
    public record Device(String platform, String name, boolean gpu, int computeUnits, long globalMemoryBytes, String version) {}

    /** A device's handle with its description. */
    private record Found(cl_device_id id, Device device) {}

    /**
     * Every OpenCL device of every platform, GPUs first, in the order {@code --device opencl:N} counts them: the first is
     * the one {@link #load(NncModel)} picks.
     *
     * @throws OpenClException when there is no OpenCL library or no platform (the message says what to install)
     */
    public static List<Device> devices() throws OpenClException {
        try {
            CL.setExceptionsEnabled(true);
            return found().stream().map(Found::device).toList();
        } catch (UnsatisfiedLinkError e) {
            throw noLibrary(e);
        }
    }

    private static List<Found> found() throws OpenClException {
        List<Found> found = new ArrayList<>();
        for (cl_platform_id platform : platforms()) {
            String platformName = platformName(platform);
            int[] n = new int[1];
            try {
                CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException e) {
                continue;    // CL_DEVICE_NOT_FOUND
            }
            cl_device_id[] ids = new cl_device_id[n[0]];
            CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n[0], ids, null);
            for (cl_device_id id : ids) {
                long[] type = new long[1];
                CL.clGetDeviceInfo(id, CL.CL_DEVICE_TYPE, Sizeof.cl_long, Pointer.to(type), null);
                int[] units = new int[1];
                CL.clGetDeviceInfo(id, CL.CL_DEVICE_MAX_COMPUTE_UNITS, Sizeof.cl_uint, Pointer.to(units), null);
                long[] memory = new long[1];
                CL.clGetDeviceInfo(id, CL.CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong, Pointer.to(memory), null);
                found.add(new Found(id, new Device(platformName, deviceString(id, CL_DEVICE_NAME), (type[0] & CL_DEVICE_TYPE_GPU) != 0,
                        units[0], memory[0], deviceString(id, CL.CL_DEVICE_VERSION))));
            }
        }
        found.sort(java.util.Comparator.comparing(f -> !f.device().gpu()));
        return found;
    }

    private static OpenClException noLibrary(UnsatisfiedLinkError e) {
        return new OpenClException("no OpenCL library (libOpenCL.so): install an OpenCL driver and the ICD loader, e.g. "
                + "`apt-get install pocl-opencl-icd ocl-icd-opencl-dev` for OpenCL on the CPU (" + e.getMessage() + ")", e);
    }

    /** Every platform; none is an OpenClException that says what to install. */
    private static cl_platform_id[] platforms() throws OpenClException {
        int[] count = new int[1];
        try {
            CL.clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            count[0] = 0;    // CL_PLATFORM_NOT_FOUND_KHR
        }
        if (count[0] == 0) {
            throw new OpenClException("no OpenCL platform: install a driver for your GPU, or `apt-get install pocl-opencl-icd` for OpenCL on the CPU");
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        CL.clGetPlatformIDs(count[0], platforms, null);
        return platforms;
    }

    private static String platformName(cl_platform_id platform) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(platform, org.jocl.CL.CL_PLATFORM_NAME, 0, null, size);
        byte[] name = new byte[(int) size[0]];
        CL.clGetPlatformInfo(platform, org.jocl.CL.CL_PLATFORM_NAME, name.length, Pointer.to(name), null);
        return new String(name, 0, Math.max(0, name.length - 1), StandardCharsets.UTF_8);
    }

    /**
     * Device {@code index} of {@link #devices()} when it is not negative; else the first whose name contains the system
     * property {@code nnc.opencl.device} when it is set; else the first (a GPU when there is one).
     */
    private static cl_device_id pickDevice(int index) throws OpenClException {
        List<Found> found = found();
        if (found.isEmpty()) {
            throw new OpenClException("no OpenCL device on any platform: install a driver for your GPU, or `apt-get install pocl-opencl-icd`");
        }
        List<String> names = found.stream().map(f -> f.device().name()).toList();
        if (index >= 0) {
            if (index >= found.size()) {
                throw new OpenClException("there is no OpenCL device " + index + ": the devices are 0.." + (found.size() - 1) + " " + names
                        + " (`nnc devices` lists them)");
            }
            return found.get(index).id();
        }
        String wanted = System.getProperty("nnc.opencl.device");
        if (wanted == null) return found.getFirst().id();
        for (Found f : found) if (f.device().name().contains(wanted)) return f.id();
        throw new OpenClException("no OpenCL device's name contains '" + wanted + "' (nnc.opencl.device); the devices are " + names);
    }

    private static String info(cl_device_id device) {
        return deviceString(device, CL_DEVICE_NAME);
    }

    private static String deviceString(cl_device_id device, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(device, param, 0, null, size);
        byte[] value = new byte[(int) size[0]];
        CL.clGetDeviceInfo(device, param, value.length, Pointer.to(value), null);
        return new String(value, 0, Math.max(0, value.length - 1), StandardCharsets.UTF_8).strip();
    }

    private static String buildLog(cl_program program, cl_device_id device) {
        long[] size = new long[1];
        CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] log = new byte[(int) size[0]];
        CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
        return new String(log, 0, Math.max(0, log.length - 1), StandardCharsets.UTF_8).strip();
    }
}

package dev.nnc.runtime.opencl;

import dev.nnc.runtime.Manifest;
import dev.nnc.runtime.Tensor;
import dev.nnc.runtime.TensorSpec;
import dev.nnc.runtime.Training;
import dev.nnc.runtime.TrainingDevice;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.cl_mem;

/**
 * One training session's device side: its own arena and state (parameters, then optimizer slots) on the device of an
 * {@link OpenClModel}, with the training step's kernels and the inference kernels both bound to them, so a step's
 * updates are what the next step and {@code infer} read without a copy. A step moves only the batch and the
 * hyperparameters up and the step's outputs down.
 */
final class OpenClTrainer implements TrainingDevice {

    private final OpenClModel device;
    private final Training training;
    private final long stateBytes;
    private final cl_mem arena;
    private final cl_mem state;
    private final List<OpenClModel.Bound> trainKernels;
    private final List<OpenClModel.Bound> inferKernels;
    private boolean closed;

    OpenClTrainer(OpenClModel device, Manifest manifest) {
        this.device = device;
        this.training = manifest.training();
        this.stateBytes = training.stateBytes();
        this.arena = device.allocate(manifest.arenaBytes());
        cl_mem stateBuffer = null;
        List<OpenClModel.Bound> train = null;
        try {
            stateBuffer = device.allocate(stateBytes);
            train = device.bind(device.schedule().trainLaunches(), arena, stateBuffer);
            this.inferKernels = device.bind(device.schedule().launches(), arena, stateBuffer);
        } catch (RuntimeException e) {
            if (train != null) train.forEach(OpenClModel.Bound::release);
            if (stateBuffer != null) CL.clReleaseMemObject(stateBuffer);
            CL.clReleaseMemObject(arena);
            throw e;
        }
        this.state = stateBuffer;
        this.trainKernels = train;
    }

    @Override
    public void writeState(MemorySegment hostState) {
        synchronized (device) {
            device.write(state, 0, hostState.asSlice(0, stateBytes));
        }
    }

    @Override
    public void readState(MemorySegment hostState) {
        synchronized (device) {
            device.read(state, 0, hostState.asSlice(0, stateBytes));
        }
    }

    @Override
    public void trainStep(MemorySegment hostArena, int batch) {
        synchronized (device) {
            device.ensureOpen();
            copyUp(hostArena, training.inputs(), training.inputOffsets(), batch);
            copyUp(hostArena, training.hyper(), training.hyperOffsets(), batch);
            device.launch(trainKernels, device.schedule().trainLaunches(), batch);
            for (int i = 0; i < training.outputs().size(); i++) {
                long offset = training.outputOffsets().get(i);
                device.read(arena, offset, hostArena.asSlice(offset, training.outputs().get(i).byteSize(batch)));
            }
        }
    }

    private void copyUp(MemorySegment hostArena, List<TensorSpec> specs, List<Long> offsets, int batch) {
        for (int i = 0; i < specs.size(); i++) {
            long offset = offsets.get(i);
            device.write(arena, offset, hostArena.asSlice(offset, specs.get(i).byteSize(batch)));
        }
    }

    @Override
    public Map<String, Tensor> infer(Map<String, Tensor> inputs, int batch) {
        return device.infer(inferKernels, arena, inputs, batch);
    }

    @Override
    public void close() {
        synchronized (device) {
            if (closed) return;
            closed = true;
            trainKernels.forEach(OpenClModel.Bound::release);
            inferKernels.forEach(OpenClModel.Bound::release);
            CL.clReleaseMemObject(arena);
            CL.clReleaseMemObject(state);
        }
    }
}

package dev.nnc.examples;

import dev.nnc.runtime.NncModel;
import dev.nnc.runtime.Session;
import dev.nnc.runtime.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * Run in a fresh JVM by {@link SteadyStateAllocationTest}: for each artifact named on the command line and each batch
 * size, runs {@link Session#run(int)} until the JIT has compiled it (ten windows of 20 runs in a row allocate nothing,
 * or the warm-up budget is spent), then prints {@code model batch bytes gcs warmup} for {@value #MEASURED} more runs: the bytes this thread
 * allocated and the collections that happened meanwhile.
 */
final class SteadyStateProbe {

    static final int MEASURED = 200;
    /** Warm-up ends after this many windows of 20 runs in a row allocated nothing: the JIT has settled, not just paused. */
    private static final int CLEAN_WINDOWS = 10;
    private static final long WARMUP_NANOS = 20_000_000_000L;

    private SteadyStateProbe() {
    }

    public static void main(String[] args) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (String arg : args) {
            try (NncModel model = NncModel.load(Path.of(arg)); Session session = model.newSession()) {
                for (int batch : new int[] {1, Math.min(8, model.manifest().maxBatch())}) {
                    for (TensorSpec input : model.inputs()) {
                        MemorySegment in = session.input(input.name());
                        for (long i = 0; i < in.byteSize() / 4; i++) {
                            in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i));
                        }
                    }
                    long deadline = System.nanoTime() + WARMUP_NANOS;
                    int warmup = 0;
                    int cleanWindows = 0;
                    while (System.nanoTime() < deadline && (cleanWindows < CLEAN_WINDOWS || warmup < 2000)) {
                        long before = threads.getCurrentThreadAllocatedBytes();
                        for (int i = 0; i < 20; i++) {
                            session.run(batch);
                        }
                        warmup += 20;
                        cleanWindows = threads.getCurrentThreadAllocatedBytes() == before ? cleanWindows + 1 : 0;
                    }
                    long gcs = gcCount();
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < MEASURED; i++) {
                        session.run(batch);
                    }
                    long bytes = threads.getCurrentThreadAllocatedBytes() - before;
                    System.out.println(model.manifest().modelName() + " " + batch + " " + bytes + " " + (gcCount() - gcs) + " " + warmup);
                }
            }
        }
    }

    private static long gcCount() {
        long count = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
        }
        return count;
    }
}

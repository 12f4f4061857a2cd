package dev.nnc.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An artifact's kernel programs printed as OpenCL C and the orders to launch them in: what an OpenCL device runs
 * instead of the generated JVM class. Every kernel takes {@code (__global float* arena, __global float* weights, int batch)},
 * with the arena and weights laid out exactly as for the JVM backend, so one memory plan serves both; for the training
 * step {@code weights} is the session's state (parameters, then optimizer slots), updated in place.
 *
 * @param source        the OpenCL C program (OpenCL C 1.2)
 * @param launches      the inference kernels in execution order
 * @param trainLaunches the training step's kernels in execution order; empty when the model does not train
 */
public record OpenClSchedule(String source, List<Launch> launches, List<Launch> trainLaunches) {

    private static final Pattern KERNEL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

    public OpenClSchedule {
        Objects.requireNonNull(source);
        launches = List.copyOf(launches);
        trainLaunches = List.copyOf(trainLaunches);
    }

    /** An inference program alone. */
    public OpenClSchedule(String source, List<Launch> launches) {
        this(source, launches, List.of());
    }

    /**
     * The launch orders as {@code launch.json}: {@code {"launches": [{"kernel": "k0", "work_items": 64, "per_batch": true}, …],
     * "train_launches": […]}}.
     */
    public String launchJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("launches", toJson(launches));
        root.put("train_launches", toJson(trainLaunches));
        return Json.write(root);
    }

    private static List<Object> toJson(List<Launch> launches) {
        List<Object> list = new ArrayList<>();
        for (Launch l : launches) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("kernel", l.kernel());
            entry.put("work_items", l.workItems());
            entry.put("per_batch", l.perBatch());
            list.add(entry);
        }
        return list;
    }

    /** The schedule of an artifact's {@code kernels.cl} and {@code launch.json}; a malformed launch list says what is wrong. */
    public static OpenClSchedule fromArtifact(String source, String launchJson) throws ArtifactException {
        Object root;
        try {
            root = Json.parse(launchJson);
        } catch (IllegalArgumentException e) {
            throw new ArtifactException("launch.json is not JSON (" + e.getMessage() + "); " + ArtifactException.RECOMPILE);
        }
        Object train = root instanceof Map<?, ?> m && m.containsKey("train_launches") ? m.get("train_launches") : List.of();
        if (!(root instanceof Map<?, ?> map) || !(map.get("launches") instanceof List<?> list) || !(train instanceof List<?> trainList)) {
            throw new ArtifactException("launch.json must hold {\"launches\": [...], \"train_launches\": [...]}; " + ArtifactException.RECOMPILE);
        }
        return new OpenClSchedule(source, launches(list), launches(trainList));
    }

    private static List<Launch> launches(List<?> list) throws ArtifactException {
        List<Launch> launches = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> l) || !(l.get("kernel") instanceof String kernel) || !KERNEL_NAME.matcher(kernel).matches()
                    || !(l.get("work_items") instanceof Number items) || !(l.get("per_batch") instanceof Boolean perBatch)
                    || items.doubleValue() < 1 || items.doubleValue() > (1L << 53) || items.doubleValue() != Math.rint(items.doubleValue())) {
                throw new ArtifactException("launch.json entry " + launches.size() + " must be {\"kernel\": name, \"work_items\": n ≥ 1, "
                        + "\"per_batch\": bool}, got " + item + "; " + ArtifactException.RECOMPILE);
            }
            launches.add(new Launch(kernel, items.longValue(), perBatch));
        }
        return launches;
    }

    /**
     * One kernel launch over a one-dimensional range of {@code workItems} work-items, times the batch when
     * {@code perBatch}.
     */
    public record Launch(String kernel, long workItems, boolean perBatch) {
        public Launch {
            Objects.requireNonNull(kernel);
            if (workItems < 1) throw new IllegalArgumentException("a launch needs at least one work-item, got " + workItems);
        }

        /** The global size at batch {@code batch}. */
        public long globalSize(int batch) {
            return perBatch ? Math.multiplyExact(workItems, (long) batch) : workItems;
        }
    }
}

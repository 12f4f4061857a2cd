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
            if (l.gemm() != null) {
                GemmGrid g = l.gemm();
                entry.put("gemm", Map.of("m", g.m(), "m_per_batch", g.mPerBatch(), "n", g.n(), "n_per_batch", g.nPerBatch(),
                        "count", g.count(), "count_per_batch", g.countPerBatch(), "direct", g.direct()));
            }
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
            launches.add(new Launch(kernel, items.longValue(), perBatch, l.containsKey("gemm") ? gemmGrid(l.get("gemm"), launches.size()) : null));
        }
        return launches;
    }

    private static GemmGrid gemmGrid(Object json, int entry) throws ArtifactException {
        if (json instanceof Map<?, ?> g && extent(g.get("m")) > 0 && extent(g.get("n")) > 0 && extent(g.get("count")) > 0
                && g.get("m_per_batch") instanceof Boolean mb && g.get("n_per_batch") instanceof Boolean nb && g.get("count_per_batch") instanceof Boolean cb
                && g.get("direct") instanceof String direct && KERNEL_NAME.matcher(direct).matches()) {
            return new GemmGrid(extent(g.get("m")), mb, extent(g.get("n")), nb, extent(g.get("count")), cb, direct);
        }
        throw new ArtifactException("launch.json entry " + entry + ": \"gemm\" must be {\"m\": n ≥ 1, \"m_per_batch\": bool, \"n\": …, "
                + "\"n_per_batch\": …, \"count\": …, \"count_per_batch\": …, \"direct\": kernel}, got " + json + "; " + ArtifactException.RECOMPILE);
    }

    /** A positive whole number below 2^31, or 0 for anything else. */
    private static long extent(Object value) {
        return value instanceof Number n && n.doubleValue() >= 1 && n.doubleValue() < (1L << 31) && n.doubleValue() == Math.rint(n.doubleValue())
                ? n.longValue() : 0;
    }

    /**
     * One kernel launch over a one-dimensional range of {@code workItems} work-items, times the batch when
     * {@code perBatch}; or, for a tiled GEMM ({@code gemm} not null), one work-group per tile of C over {@code gemm}'s
     * extents, its size and the tiles' set by the device's tile parameters.
     */
    public record Launch(String kernel, long workItems, boolean perBatch, GemmGrid gemm) {
        public Launch {
            Objects.requireNonNull(kernel);
            if (workItems < 1) throw new IllegalArgumentException("a launch needs at least one work-item, got " + workItems);
        }

        /** A launch of one work-item per element. */
        public Launch(String kernel, long workItems, boolean perBatch) {
            this(kernel, workItems, perBatch, null);
        }

        /** The global size at batch {@code batch}. */
        public long globalSize(int batch) {
            return perBatch ? Math.multiplyExact(workItems, (long) batch) : workItems;
        }
    }

    /**
     * The extents of a tiled GEMM: {@code count} products of an m×n C, each extent a static size or that times the
     * batch when its flag says so; {@code direct} names the same product as one work-item per element of C, which a
     * device runs instead when C is too small to fill its tiles (a batch-1 layer, say).
     */
    public record GemmGrid(long m, boolean mPerBatch, long n, boolean nPerBatch, long count, boolean countPerBatch, String direct) {
        public GemmGrid {
            if (m < 1 || n < 1 || count < 1) throw new IllegalArgumentException("a GEMM grid needs positive extents, got " + m + "×" + n + "×" + count);
            Objects.requireNonNull(direct);
        }

        public long rows(int batch) {
            return mPerBatch ? m * batch : m;
        }

        public long columns(int batch) {
            return nPerBatch ? n * batch : n;
        }

        public long products(int batch) {
            return countPerBatch ? count * batch : count;
        }

        /** The work-groups at {@code batch} for tiles of {@code tileM}×{@code tileN}: ⌈m/tileM⌉ · ⌈n/tileN⌉ · count. */
        public long groups(int batch, int tileM, int tileN) {
            return Math.multiplyExact(Math.multiplyExact((rows(batch) + tileM - 1) / tileM, (columns(batch) + tileN - 1) / tileN), products(batch));
        }
    }
}

package dev.nnc.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@code manifest.json} of a {@code .nnc} artifact says: provenance, the generated main class, the arena
 * plan for inputs and outputs, the parameters stored in {@code weights.safetensors}, and a checksum of every other
 * zip entry.
 *
 * <p>Inputs and outputs are planned at {@link #maxBatch()}; at a smaller batch {@code b} a batched buffer uses its
 * first {@code b · rowElements} elements. {@link #weightsFileOffset()} is the file offset of the local zip header of
 * {@code weights.safetensors}; the loader checks it against the header it finds there. {@link #training()} is present
 * only in artifacts compiled with a {@code train} section; besides its own checks ({@link Training}), its batch inputs,
 * hyperparameters and outputs must fit the arena at {@link #maxBatch()}, its batch inputs and hyperparameters (which
 * a session writes together) must not overlap, its state must hold the parameters, and its slots must lie after the
 * parameters and be named {@code <param>.<slot>} after one of them.
 *
 * @param formatVersion      the artifact format version; this runtime reads {@link #FORMAT_VERSION}
 * @param compilerVersion    the version of {@code nnc} that wrote the artifact
 * @param flags              the compiler flags used, e.g. {@code "opt" -> "O2"}
 * @param modelName          the model's name in the DSL
 * @param sourceFile         the {@code .nn} file it came from
 * @param sourceSha256       sha256 (lower-case hex) of that file
 * @param mainClass          binary name of the generated class implementing {@link CompiledModel}; every class of the
 *                           artifact lives in its package
 * @param maxBatch           the largest batch size a session accepts, at least 1
 * @param arenaBytes         bytes of scratch memory a session allocates
 * @param inputs             input tensors, in entry-point order
 * @param inputOffsets       arena byte offset of each input
 * @param outputs            output tensors, in entry-point order
 * @param outputOffsets      arena byte offset of each output
 * @param params             parameters in declaration order, stored in this order in {@code weights.safetensors}
 * @param entrySha256        sha256 hex of every zip entry except {@code manifest.json}, by entry name
 * @param weightsFileOffset  file offset of the local header of the {@code weights.safetensors} entry
 * @param training           the training entry point, or null for an inference-only artifact
 * @param packedWeights      copies of parameters that the loader lays out for the GEMM after the parameters, in the
 *                           weights segment the inference entry point runs with ({@link #runWeightsBytes()})
 */
public record Manifest(
        int formatVersion,
        String compilerVersion,
        Map<String, String> flags,
        String modelName,
        String sourceFile,
        String sourceSha256,
        String mainClass,
        int maxBatch,
        long arenaBytes,
        List<TensorSpec> inputs,
        List<Long> inputOffsets,
        List<TensorSpec> outputs,
        List<Long> outputOffsets,
        List<TensorSpec> params,
        Map<String, String> entrySha256,
        long weightsFileOffset,
        Training training,
        List<PackedWeight> packedWeights) {

    /** The artifact format version this runtime writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private static final String ARENA_OFFSET = "arena_offset";
    private static final String STATE_OFFSET = "state_offset";
    private static final long PACKED_ALIGNMENT = 64;

    /**
     * Parameter {@code param} seen as the k×n right operand of a GEMM ({@code transposed}: stored n×k), laid out by
     * {@code Gemm.packB} at {@code byteOffset} of the weights segment inference runs with.
     */
    public record PackedWeight(String param, boolean transposed, int k, int n, long byteOffset) {
        public PackedWeight {
            Objects.requireNonNull(param, "param");
            if (k < 1 || n < 1 || byteOffset < 0 || byteOffset % PACKED_ALIGNMENT != 0) {
                throw new IllegalArgumentException("packed weight " + param + " needs k, n ≥ 1 and a 64-byte aligned offset, got k=" + k
                        + " n=" + n + " offset=" + byteOffset);
            }
        }

        /** The bytes the copy takes. */
        public long byteSize() {
            return Math.multiplyExact(dev.nnc.kernels.Gemm.packedBFloats(k, n), (long) Float.BYTES);
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("param", param);
            json.put("transposed", transposed);
            json.put("k", (long) k);
            json.put("n", (long) n);
            json.put("offset", byteOffset);
            return json;
        }
    }

    public Manifest {
        Objects.requireNonNull(compilerVersion, "compilerVersion");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(sourceFile, "sourceFile");
        Objects.requireNonNull(sourceSha256, "sourceSha256");
        Objects.requireNonNull(mainClass, "mainClass");
        flags = Collections.unmodifiableMap(new LinkedHashMap<>(flags));
        entrySha256 = Collections.unmodifiableMap(new LinkedHashMap<>(entrySha256));
        inputs = List.copyOf(inputs);
        inputOffsets = List.copyOf(inputOffsets);
        outputs = List.copyOf(outputs);
        outputOffsets = List.copyOf(outputOffsets);
        params = List.copyOf(params);
        packedWeights = List.copyOf(packedWeights);
        if (formatVersion < 1) {
            throw new IllegalArgumentException("format version must be positive, got " + formatVersion);
        }
        if (!isBinaryNameWithPackage(mainClass)) {
            throw new IllegalArgumentException("main class '" + mainClass + "' is not a binary class name in a named package");
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be at least 1, got " + maxBatch);
        }
        if (arenaBytes < 0 || weightsFileOffset < 0) {
            throw new IllegalArgumentException("arena bytes and weights file offset must not be negative");
        }
        requireName("model", modelName);
        for (TensorSpec p : params) requireName("parameter", p.name());    // inputs and outputs: checkPlacement
        checkPlacement("input", inputs, inputOffsets, maxBatch, arenaBytes);
        checkPlacement("output", outputs, outputOffsets, maxBatch, arenaBytes);
        Set<String> paramNames = new HashSet<>();
        for (TensorSpec p : params) {
            if (p.isBatched() || !paramNames.add(p.name())) {
                throw new IllegalArgumentException("parameter " + p + " is batched or declared twice");
            }
        }
        if (training != null) {
            checkTraining(training, params, maxBatch, arenaBytes);
        }
        checkPackedWeights(packedWeights, params);
    }

    /** A manifest without packed weights. */
    public Manifest(int formatVersion, String compilerVersion, Map<String, String> flags, String modelName, String sourceFile,
                    String sourceSha256, String mainClass, int maxBatch, long arenaBytes, List<TensorSpec> inputs, List<Long> inputOffsets,
                    List<TensorSpec> outputs, List<Long> outputOffsets, List<TensorSpec> params, Map<String, String> entrySha256,
                    long weightsFileOffset, Training training) {
        this(formatVersion, compilerVersion, flags, modelName, sourceFile, sourceSha256, mainClass, maxBatch, arenaBytes, inputs,
                inputOffsets, outputs, outputOffsets, params, entrySha256, weightsFileOffset, training, List.of());
    }

    /** Each copy names an f32 parameter of k·n elements and lies after the parameters, aligned, overlapping no other. */
    private static void checkPackedWeights(List<PackedWeight> packed, List<TensorSpec> params) {
        long end = Safetensors.dataBytes(params);
        for (PackedWeight p : packed) {
            int index = TensorSpec.indexOf(params, p.param());
            if (index < 0) {
                throw new IllegalArgumentException("packed weight names no parameter: " + p.param());
            }
            TensorSpec param = params.get(index);
            if (param.dtype() != DType.F32 || param.byteSize(1) != Math.multiplyExact(Math.multiplyExact((long) p.k(), p.n()), 4L)) {
                throw new IllegalArgumentException("packed weight " + p.param() + " is " + p.k() + "×" + p.n() + " f32, but the parameter is " + param);
            }
            if (p.byteOffset() < end) {
                throw new IllegalArgumentException("packed weight " + p.param() + " at byte " + p.byteOffset()
                        + " overlaps the parameters or the previous copy, which end at " + end);
            }
            end = Math.addExact(p.byteOffset(), p.byteSize());
        }
    }

    /** The bytes of the weights segment inference runs with: the parameters, then the packed copies. */
    public long runWeightsBytes() {
        return packedWeights.isEmpty() ? paramBytes() : packedWeights.getLast().byteOffset() + packedWeights.getLast().byteSize();
    }

    /** An inference-only manifest: {@link #training()} is null. */
    public Manifest(int formatVersion, String compilerVersion, Map<String, String> flags, String modelName, String sourceFile,
                    String sourceSha256, String mainClass, int maxBatch, long arenaBytes, List<TensorSpec> inputs, List<Long> inputOffsets,
                    List<TensorSpec> outputs, List<Long> outputOffsets, List<TensorSpec> params, Map<String, String> entrySha256,
                    long weightsFileOffset) {
        this(formatVersion, compilerVersion, flags, modelName, sourceFile, sourceSha256, mainClass, maxBatch, arenaBytes, inputs,
                inputOffsets, outputs, outputOffsets, params, entrySha256, weightsFileOffset, null);
    }

    /** The bytes the parameters take at the start of the weights' data section and of a training state: their layout's end. */
    public long paramBytes() {
        return Safetensors.dataBytes(params);
    }


    /** Whether the artifact declares a training entry point. */
    /** The name of the main class's {@code static final String} field that holds {@link #layoutKey()} as compiled. */
    public static final String LAYOUT_FIELD = "NNC_LAYOUT";

    /**
     * What the generated code assumes about where things are, as one string: the max batch, the arena size, and every
     * input and output of both entry points with its offset and type ({@code x@0:f32[B, 784]}). The compiler stores it in the main class ({@link #LAYOUT_FIELD});
     * the loader compares it with the manifest's before the class is defined, so an edited manifest (a larger max
     * batch, a moved input) cannot make correct code compute wrong answers.
     */
    public String layoutKey() {
        Map<String, String> trainIn = null;
        Map<String, String> trainOut = null;
        if (training != null) {
            trainIn = offsets(training.inputs(), training.inputOffsets());
            trainIn.putAll(offsets(training.hyper(), training.hyperOffsets()));
            trainOut = offsets(training.outputs(), training.outputOffsets());
        }
        return layoutKey(maxBatch, arenaBytes, offsets(inputs, inputOffsets), offsets(outputs, outputOffsets), trainIn, trainOut);
    }

    /**
     * {@link #layoutKey()} from its parts (the compiler's side): each map takes a tensor's name to {@code offset:type}
     * ({@link #placement}); {@code trainIn} and {@code trainOut} are null without training.
     */
    public static String layoutKey(int maxBatch, long arenaBytes, Map<String, String> inferIn, Map<String, String> inferOut,
                                   Map<String, String> trainIn, Map<String, String> trainOut) {
        StringBuilder key = new StringBuilder("max_batch=").append(maxBatch).append(";arena=").append(arenaBytes);
        key.append(";in=").append(placed(inferIn)).append(";out=").append(placed(inferOut));
        if (trainIn != null) key.append(";train.in=").append(placed(trainIn)).append(";train.out=").append(placed(trainOut));
        return key.toString();
    }

    /** How {@link #layoutKey} writes one tensor's place: {@code offset:type}. */
    public static String placement(long offset, String typeString) {
        return offset + ":" + typeString;
    }

    private static Map<String, String> offsets(List<TensorSpec> specs, List<Long> offsets) {
        Map<String, String> placed = new java.util.TreeMap<>();
        for (int i = 0; i < specs.size(); i++) placed.put(specs.get(i).name(), placement(offsets.get(i), specs.get(i).typeString()));
        return placed;
    }

    private static String placed(Map<String, String> offsets) {
        StringBuilder s = new StringBuilder();
        new java.util.TreeMap<>(offsets).forEach((name, offset) -> s.append(s.isEmpty() ? "" : ",").append(name).append('@').append(offset));
        return s.toString();
    }

    public boolean hasTraining() {
        return training != null;
    }

    /** The package every class of the artifact must live in: the package of {@link #mainClass()}. */
    public String packageName() {
        return mainClass.substring(0, mainClass.lastIndexOf('.'));
    }

    /** This manifest with the packaging facts the artifact writer fills in. */
    public Manifest withPackaging(Map<String, String> entrySha256, long weightsFileOffset) {
        return new Manifest(formatVersion, compilerVersion, flags, modelName, sourceFile, sourceSha256, mainClass, maxBatch,
                arenaBytes, inputs, inputOffsets, outputs, outputOffsets, params, entrySha256, weightsFileOffset, training, packedWeights);
    }

    /** The {@code manifest.json} text, pretty-printed with a stable key order. */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format_version", (long) formatVersion);
        json.put("compiler_version", compilerVersion);
        json.put("flags", new LinkedHashMap<>(flags));
        json.put("model_name", modelName);
        json.put("source_file", sourceFile);
        json.put("source_sha256", sourceSha256);
        json.put("main_class", mainClass);
        json.put("max_batch", (long) maxBatch);
        json.put("arena_bytes", arenaBytes);
        json.put("inputs", placedSpecs(inputs, inputOffsets));
        json.put("outputs", placedSpecs(outputs, outputOffsets));
        json.put("params", params.stream().map(TensorSpec::toJson).toList());
        json.put("weights_file_offset", weightsFileOffset);
        json.put("entry_sha256", new LinkedHashMap<>(entrySha256));
        if (!packedWeights.isEmpty()) {
            json.put("packed_weights", packedWeights.stream().map(PackedWeight::toJson).toList());
        }
        if (training != null) {
            json.put("training", trainingJson(training));
        }
        return Json.write(json);
    }

    /**
     * Reads {@code manifest.json}. Checks the format version first, so a manifest of another version gets that
     * message rather than one about its fields; then every field's presence and type.
     */
    public static Manifest fromJson(String text) throws ArtifactException {
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ArtifactException("manifest.json is not valid JSON (" + e.getMessage() + "); " + ArtifactException.RECOMPILE);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ArtifactException("manifest.json must hold a JSON object, got " + Json.typeName(root) + "; " + ArtifactException.RECOMPILE);
        }
        Fields f = new Fields(map, "");
        long version = f.integer("format_version");
        if (version != FORMAT_VERSION) {
            throw new ArtifactException("artifact format version " + version + " is not supported: this runtime reads version "
                    + FORMAT_VERSION + "; " + ArtifactException.RECOMPILE + " of a matching version");
        }
        List<TensorSpec> inputs = new ArrayList<>();
        List<Long> inputOffsets = new ArrayList<>();
        List<TensorSpec> outputs = new ArrayList<>();
        List<Long> outputOffsets = new ArrayList<>();
        f.placedSpecs("inputs", inputs, inputOffsets);
        f.placedSpecs("outputs", outputs, outputOffsets);
        List<TensorSpec> params = new ArrayList<>();
        for (Object p : f.array("params")) {
            params.add(f.spec("params", p));
        }
        List<PackedWeight> packed = new ArrayList<>();
        if (map.get("packed_weights") != null) {
            for (Object item : f.array("packed_weights")) {
                if (!(item instanceof Map<?, ?> m)) {
                    throw new ArtifactException("manifest.json field \"packed_weights[]\" must hold objects; " + ArtifactException.RECOMPILE);
                }
                Fields p = new Fields(m, "packed_weights[].");
                try {
                    packed.add(new PackedWeight(p.string("param"), p.bool("transposed"), p.intValue("k"), p.intValue("n"), p.integer("offset")));
                } catch (IllegalArgumentException e) {
                    throw new ArtifactException("manifest.json is inconsistent: " + e.getMessage() + "; " + ArtifactException.RECOMPILE);
                }
            }
        }
        try {
            Training training = map.get("training") == null ? null : readTraining(f.object("training"));
            return new Manifest((int) version, f.string("compiler_version"), f.stringMap("flags"), f.string("model_name"),
                    f.string("source_file"), f.string("source_sha256"), f.string("main_class"), f.intValue("max_batch"),
                    f.integer("arena_bytes"), inputs, inputOffsets, outputs, outputOffsets, params, f.stringMap("entry_sha256"),
                    f.integer("weights_file_offset"), training, packed);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ArtifactException("manifest.json is inconsistent: " + e.getMessage() + "; " + ArtifactException.RECOMPILE);
        }
    }

    private static List<Object> placedSpecs(List<TensorSpec> specs, List<Long> offsets) {
        return placedSpecs(specs, offsets, ARENA_OFFSET);
    }

    private static List<Object> placedSpecs(List<TensorSpec> specs, List<Long> offsets, String offsetKey) {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            Map<String, Object> json = specs.get(i).toJson();
            json.put(offsetKey, offsets.get(i));
            list.add(json);
        }
        return list;
    }

    private static Map<String, Object> trainingJson(Training t) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("inputs", placedSpecs(t.inputs(), t.inputOffsets()));
        json.put("hyper", placedSpecs(t.hyper(), t.hyperOffsets()));
        json.put("outputs", placedSpecs(t.outputs(), t.outputOffsets()));
        json.put("slots", placedSpecs(t.slots(), t.slotOffsets(), STATE_OFFSET));
        json.put("state_bytes", t.stateBytes());
        Training.Optimizer o = t.optimizer();
        Map<String, Object> optimizer = new LinkedHashMap<>();
        optimizer.put("kind", o.kind().jsonName());
        optimizer.put("lr", o.lr());
        optimizer.put("momentum", o.momentum());
        optimizer.put("nesterov", o.nesterov());
        optimizer.put("beta1", o.beta1());
        optimizer.put("beta2", o.beta2());
        optimizer.put("eps", o.eps());
        optimizer.put("weight_decay", o.weightDecay());
        Training.Schedule s = o.schedule();
        Map<String, Object> schedule = new LinkedHashMap<>();
        schedule.put("kind", s.kind().jsonName());
        schedule.put("step_size", (long) s.stepSize());
        schedule.put("gamma", s.gamma());
        schedule.put("t_max", (long) s.tMax());
        schedule.put("eta_min", s.etaMin());
        optimizer.put("schedule", schedule);
        json.put("optimizer", optimizer);
        json.put("settings", new LinkedHashMap<>(t.settings()));
        return json;
    }

    private static Training readTraining(Fields t) throws ArtifactException {
        List<TensorSpec> inputs = new ArrayList<>();
        List<Long> inputOffsets = new ArrayList<>();
        List<TensorSpec> hyper = new ArrayList<>();
        List<Long> hyperOffsets = new ArrayList<>();
        List<TensorSpec> outputs = new ArrayList<>();
        List<Long> outputOffsets = new ArrayList<>();
        List<TensorSpec> slots = new ArrayList<>();
        List<Long> slotOffsets = new ArrayList<>();
        t.placedSpecs("inputs", inputs, inputOffsets);
        t.placedSpecs("hyper", hyper, hyperOffsets);
        t.placedSpecs("outputs", outputs, outputOffsets);
        t.placedSpecs("slots", slots, slotOffsets, STATE_OFFSET);
        Fields o = t.object("optimizer");
        Fields s = o.object("schedule");
        Training.Schedule schedule = new Training.Schedule(Training.Schedule.Kind.of(s.string("kind")), s.intValue("step_size"), s.number("gamma"),
                s.intValue("t_max"), s.number("eta_min"));
        Training.Optimizer optimizer = new Training.Optimizer(Training.Optimizer.Kind.of(o.string("kind")), o.number("lr"), o.number("momentum"),
                o.bool("nesterov"), o.number("beta1"), o.number("beta2"), o.number("eps"), o.number("weight_decay"), schedule);
        return new Training(inputs, inputOffsets, hyper, hyperOffsets, outputs, outputOffsets, slots, slotOffsets,
                t.integer("state_bytes"), optimizer, t.stringMap("settings"));
    }

    /** The checks on {@code training} that need the rest of the manifest. */
    private static void checkTraining(Training training, List<TensorSpec> params, int maxBatch, long arenaBytes) {
        checkPlacement("training input", training.inputs(), training.inputOffsets(), maxBatch, arenaBytes);
        checkPlacement("hyperparameter", training.hyper(), training.hyperOffsets(), maxBatch, arenaBytes);
        checkPlacement("training output", training.outputs(), training.outputOffsets(), maxBatch, arenaBytes);
        List<TensorSpec> written = new ArrayList<>(training.inputs());
        written.addAll(training.hyper());
        List<Long> writtenOffsets = new ArrayList<>(training.inputOffsets());
        writtenOffsets.addAll(training.hyperOffsets());
        for (int i = 0; i < written.size(); i++) {
            for (int j = i + 1; j < written.size(); j++) {
                long beginI = writtenOffsets.get(i);
                long beginJ = writtenOffsets.get(j);
                if (beginI < beginJ + written.get(j).byteSize(maxBatch) && beginJ < beginI + written.get(i).byteSize(maxBatch)) {
                    throw new IllegalArgumentException("training " + written.get(i) + " at arena offset " + beginI + " overlaps "
                            + written.get(j) + " at " + beginJ + " at batch " + maxBatch);
                }
            }
        }
        long paramBytes = Safetensors.dataBytes(params);
        if (training.stateBytes() < paramBytes) {
            throw new IllegalArgumentException("training state of " + training.stateBytes() + " bytes cannot hold the " + paramBytes
                    + " bytes of parameters");
        }
        for (int i = 0; i < training.slots().size(); i++) {
            TensorSpec slot = training.slots().get(i);
            long offset = training.slotOffsets().get(i);
            if (offset < paramBytes) {
                throw new IllegalArgumentException("slot " + slot + " at state offset " + offset + " overlaps the parameters, which take "
                        + "state bytes [0, " + paramBytes + ")");
            }
            boolean namesAParam = params.stream()
                    .anyMatch(p -> slot.name().startsWith(p.name() + ".") && slot.name().length() > p.name().length() + 1);
            if (!namesAParam) {
                throw new IllegalArgumentException("slot " + slot.name() + " is not named <param>.<slot> after a parameter of the model");
            }
        }
    }

    private static void checkPlacement(String kind, List<TensorSpec> specs, List<Long> offsets, int maxBatch, long arenaBytes) {
        if (specs.size() != offsets.size()) {
            throw new IllegalArgumentException(specs.size() + " " + kind + "s but " + offsets.size() + " " + kind + " offsets");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec spec = specs.get(i);
            long offset = offsets.get(i);
            requireName(kind, spec.name());
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException(kind + " " + spec.name() + " is declared twice");
            }
            if (offset < 0 || offset % spec.dtype().byteSize() != 0 || offset > arenaBytes - spec.byteSize(maxBatch)) {   // no overflow
                throw new IllegalArgumentException(kind + " " + spec + " at arena offset " + offset + " (" + spec.byteSize(maxBatch)
                        + " bytes at batch " + maxBatch + ") is misaligned or does not fit the arena of " + arenaBytes + " bytes");
            }
        }
    }

    /**
     * Names from an artifact end up in file names ({@code nnc run} writes {@code <output>.npy}) and on terminals, so
     * they are what the compiler writes: letters, digits, {@code _ . -}, not starting with {@code .} or {@code -}, no
     * {@code ..}, at most 200 characters.
     */
    static void requireName(String kind, String name) {
        if (!SAFE_NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException(kind + " name " + Json.write(name).strip() + " is not a name nnc writes (letters, digits, _ . -; at most 200)");
        }
    }

    private static final java.util.regex.Pattern SAFE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,199}");

    private static boolean isBinaryNameWithPackage(String name) {
        String[] parts = name.split("\\.", -1);
        if (parts.length < 2) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.charAt(0)) || !part.chars().allMatch(Character::isJavaIdentifierPart)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Typed access to the fields of a JSON object of the manifest, with messages naming the field by its dotted path.
     *
     * @param path the object's path from the root followed by a dot, {@code ""} for the root
     */
    private record Fields(Map<?, ?> map, String path) {

        private Object get(String key) throws ArtifactException {
            if (!map.containsKey(key)) {
                throw new ArtifactException("manifest.json has no field \"" + path + key + "\"; " + ArtifactException.RECOMPILE);
            }
            return map.get(key);
        }

        private ArtifactException illTyped(String key, String expected, Object value) {
            return new ArtifactException("manifest.json field \"" + path + key + "\" must be " + expected + ", got " + Json.typeName(value)
                    + "; " + ArtifactException.RECOMPILE);
        }

        Fields object(String key) throws ArtifactException {
            Object value = get(key);
            if (value instanceof Map<?, ?> m) {
                return new Fields(m, path + key + ".");
            }
            throw illTyped(key, "an object", value);
        }

        double number(String key) throws ArtifactException {
            Object value = get(key);
            if (value instanceof Long l) {
                return l;
            }
            if (value instanceof Double d) {
                return d;
            }
            throw illTyped(key, "a number", value);
        }

        boolean bool(String key) throws ArtifactException {
            Object value = get(key);
            if (value instanceof Boolean b) {
                return b;
            }
            throw illTyped(key, "a boolean", value);
        }

        String string(String key) throws ArtifactException {
            Object value = get(key);
            if (value instanceof String s) {
                return s;
            }
            throw illTyped(key, "a string", value);
        }

        long integer(String key) throws ArtifactException {
            Object value = get(key);
            if (value instanceof Long l) {
                return l;
            }
            throw illTyped(key, "an integer", value);
        }

        int intValue(String key) throws ArtifactException {
            long value = integer(key);
            if (value != (int) value) {
                throw new ArtifactException("manifest.json field \"" + path + key + "\" = " + value + " is out of range; " + ArtifactException.RECOMPILE);
            }
            return (int) value;
        }

        List<?> array(String key) throws ArtifactException {
            Object value = get(key);
            if (value instanceof List<?> list) {
                return list;
            }
            throw illTyped(key, "an array", value);
        }

        Map<String, String> stringMap(String key) throws ArtifactException {
            Object value = get(key);
            if (!(value instanceof Map<?, ?> m)) {
                throw illTyped(key, "an object", value);
            }
            Map<String, String> result = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getValue() instanceof String s)) {
                    throw illTyped(key + "." + e.getKey(), "a string", e.getValue());
                }
                result.put((String) e.getKey(), s);
            }
            return result;
        }

        TensorSpec spec(String key, Object json) throws ArtifactException {
            try {
                return TensorSpec.fromJson(json);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new ArtifactException("manifest.json field \"" + path + key + "\" has a bad tensor: " + e.getMessage() + "; "
                        + ArtifactException.RECOMPILE);
            }
        }

        void placedSpecs(String key, List<TensorSpec> specs, List<Long> offsets) throws ArtifactException {
            placedSpecs(key, specs, offsets, ARENA_OFFSET);
        }

        void placedSpecs(String key, List<TensorSpec> specs, List<Long> offsets, String offsetKey) throws ArtifactException {
            for (Object item : array(key)) {
                specs.add(spec(key, item));
                if (!(((Map<?, ?>) item).get(offsetKey) instanceof Long offset)) {
                    throw illTyped(key + "[]." + offsetKey, "an integer", ((Map<?, ?>) item).get(offsetKey));
                }
                offsets.add(offset);
            }
        }
    }
}

package dev.nnc.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The training entry point of an artifact, as {@code manifest.json} describes it under {@code "training"}: where a
 * {@link CompiledTrainer#trainStep} finds its batch, its hyperparameter scalars and its outputs in the arena, where the
 * optimizer slots sit in the state segment, and the optimizer and schedule that drive the hyperparameters.
 *
 * <p>The state segment holds the parameters first, exactly as in the data section of {@code weights.safetensors}
 * ({@link Safetensors#layout} of {@link Manifest#params()}), then the slots at {@link #slotOffsets()}, in
 * {@link #stateBytes()} bytes. The checks that need the rest of the manifest (arena placement, slots clear of the
 * parameters, slot names naming a parameter) are made by {@link Manifest}'s constructor. Immutable.
 *
 * @param inputs        the batch tensors of a step: model inputs, then targets (e.g. {@code x: f32[B, 784]}, {@code y: i32[B]})
 * @param inputOffsets  arena byte offset of each input
 * @param hyper         rank-0 scalars the session writes before every step, named from {@link Hyperparameters#NAMES}
 * @param hyperOffsets  arena byte offset of each hyperparameter
 * @param outputs       {@code loss: f32[]} first, then the model outputs the step also computes
 * @param outputOffsets arena byte offset of each output
 * @param slots         optimizer state tensors named {@code <param>.<slot>} (PyTorch's slot names), zero at the start
 * @param slotOffsets   state byte offset of each slot
 * @param stateBytes    total bytes of the state segment
 * @param optimizer     the optimizer and its learning-rate schedule
 * @param settings      the DSL's {@code train} settings the {@code nnc train} CLI reads as defaults; stored, not interpreted,
 *                      except that {@code seed}, if present, must be an integer (it seeds dropout)
 */
public record Training(
        List<TensorSpec> inputs,
        List<Long> inputOffsets,
        List<TensorSpec> hyper,
        List<Long> hyperOffsets,
        List<TensorSpec> outputs,
        List<Long> outputOffsets,
        List<TensorSpec> slots,
        List<Long> slotOffsets,
        long stateBytes,
        Optimizer optimizer,
        Map<String, String> settings) {

    /** The name of the first output, the scalar loss. */
    public static final String LOSS = "loss";

    /** The settings key whose integer value seeds dropout. */
    public static final String SEED_SETTING = "seed";

    public Training {
        inputs = List.copyOf(inputs);
        inputOffsets = List.copyOf(inputOffsets);
        hyper = List.copyOf(hyper);
        hyperOffsets = List.copyOf(hyperOffsets);
        outputs = List.copyOf(outputs);
        outputOffsets = List.copyOf(outputOffsets);
        slots = List.copyOf(slots);
        slotOffsets = List.copyOf(slotOffsets);
        Objects.requireNonNull(optimizer, "optimizer");
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        requireSameSize("training input", inputs, inputOffsets);
        requireSameSize("hyperparameter", hyper, hyperOffsets);
        requireSameSize("training output", outputs, outputOffsets);
        requireSameSize("slot", slots, slotOffsets);
        for (TensorSpec h : hyper) {
            DType expected = Hyperparameters.dtypeOf(h.name());
            if (h.rank() != 0 || h.dtype() != expected) {
                throw new IllegalArgumentException("hyperparameter " + h + " must be a scalar " + expected.dslName() + "[]");
            }
        }
        if (outputs.isEmpty() || !outputs.getFirst().equals(TensorSpec.of(LOSS, DType.F32))) {
            throw new IllegalArgumentException("the first training output must be loss: f32[], got "
                    + (outputs.isEmpty() ? "no outputs" : outputs.getFirst()));
        }
        if (stateBytes < 0) {
            throw new IllegalArgumentException("state bytes must not be negative, got " + stateBytes);
        }
        checkSlots(slots, slotOffsets, stateBytes);
        String seed = settings.get(SEED_SETTING);
        if (seed != null) {
            try {
                Long.parseLong(seed);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("training setting seed = '" + seed + "' is not an integer");
            }
        }
    }

    /** The integer the {@code seed} setting holds, 0 if there is none. */
    public long seedSetting() {
        String seed = settings.get(SEED_SETTING);
        return seed == null ? 0 : Long.parseLong(seed);
    }

    private static void requireSameSize(String kind, List<TensorSpec> specs, List<Long> offsets) {
        if (specs.size() != offsets.size()) {
            throw new IllegalArgumentException(specs.size() + " " + kind + "s but " + offsets.size() + " " + kind + " offsets");
        }
        Set<String> names = new HashSet<>();
        for (TensorSpec spec : specs) {
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException(kind + " " + spec.name() + " is declared twice");
            }
        }
    }

    /** Slots are concrete, aligned to their element size, inside the state, and do not overlap one another. */
    private static void checkSlots(List<TensorSpec> slots, List<Long> offsets, long stateBytes) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
            TensorSpec slot = slots.get(i);
            long offset = offsets.get(i);
            if (slot.isBatched()) {
                throw new IllegalArgumentException("slot " + slot + " must have a concrete shape");
            }
            if (offset < 0 || offset % slot.dtype().byteSize() != 0 || offset > stateBytes - slot.byteSize(1)) {
                throw new IllegalArgumentException("slot " + slot + " at state offset " + offset + " (" + slot.byteSize(1)
                        + " bytes) is misaligned or does not fit the state of " + stateBytes + " bytes");
            }
            order.add(i);
        }
        order.sort(Comparator.comparingLong(offsets::get));
        for (int k = 1; k < order.size(); k++) {
            int before = order.get(k - 1);
            int after = order.get(k);
            if (offsets.get(before) + slots.get(before).byteSize(1) > offsets.get(after)) {
                throw new IllegalArgumentException("slot " + slots.get(after).name() + " at state offset " + offsets.get(after)
                        + " overlaps slot " + slots.get(before).name() + " at " + offsets.get(before));
            }
        }
    }

    /**
     * The optimizer a training artifact was compiled with; the update itself is compiled into {@code trainStep}, the
     * runtime only needs what drives the hyperparameter scalars. Field meanings follow PyTorch's {@code torch.optim}.
     *
     * @param kind        SGD, Adam or AdamW
     * @param lr          the base learning rate (before the schedule), finite and positive
     * @param momentum    SGD momentum, in [0, 1); Nesterov needs it positive
     * @param nesterov    whether SGD uses Nesterov momentum
     * @param beta1       Adam's first-moment decay, in [0, 1)
     * @param beta2       Adam's second-moment decay, in [0, 1)
     * @param eps         Adam's denominator term, finite and positive (unused by SGD)
     * @param weightDecay L2 penalty (sgd, adam) or decoupled decay (adamw), finite and non-negative
     * @param schedule    how the learning rate changes with the epoch
     */
    public record Optimizer(Kind kind, double lr, double momentum, boolean nesterov, double beta1, double beta2, double eps,
                            double weightDecay, Schedule schedule) {

        /** The optimizer families; {@link #jsonName} is also the DSL's name. */
        public enum Kind {
            SGD, ADAM, ADAMW;

            public String jsonName() {
                return name().toLowerCase(Locale.ROOT);
            }

            /** The kind a manifest or train section names; fails with the names it knows. */
            public static Kind of(String name) {
                for (Kind k : values()) if (k.jsonName().equals(name)) return k;
                throw new IllegalArgumentException("optimizer kind '" + name + "' is not one of sgd, adam, adamw");
            }
        }

        public Optimizer {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(schedule, "schedule");
            requirePositive("lr", lr);
            requireNonNegative("momentum", momentum);
            requireNonNegative("eps", eps);
            if (kind != Kind.SGD && eps == 0) throw new IllegalArgumentException("optimizer eps must be positive for " + kind.jsonName());
            requireNonNegative("weight_decay", weightDecay);
            if (momentum >= 1) throw new IllegalArgumentException("optimizer momentum must be in [0, 1), got " + momentum);
            if (nesterov && momentum == 0) throw new IllegalArgumentException("nesterov needs a momentum > 0");
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("optimizer betas must lie in [0, 1), got beta1 = " + beta1 + ", beta2 = " + beta2);
            }
        }

        /** Whether the optimizer needs Adam's bias corrections each step. */
        public boolean isAdam() {
            return kind != Kind.SGD;
        }

        /** The learning rate of epoch {@code epoch} (0-based) under {@link #schedule()}. */
        public double learningRate(int epoch) {
            return schedule.learningRate(lr, epoch);
        }
    }

    /**
     * A learning-rate schedule over epochs, PyTorch's {@code StepLR} and {@code CosineAnnealingLR} in closed form.
     * Only the fields of its kind matter: {@code stepSize} and {@code gamma} for {@code step}, {@code tMax} and
     * {@code etaMin} for {@code cosine}.
     *
     * @param kind     constant, step or cosine
     * @param stepSize epochs between decays of a {@code step} schedule, at least 1 there
     * @param gamma    the decay factor of a {@code step} schedule, finite and positive there
     * @param tMax     the half period in epochs of a {@code cosine} schedule, at least 1 there
     * @param etaMin   the floor of a {@code cosine} schedule, finite and non-negative there
     */
    public record Schedule(Kind kind, int stepSize, double gamma, int tMax, double etaMin) {

        /** The schedule families; {@link #jsonName} is also the DSL's name. */
        public enum Kind {
            CONSTANT, STEP, COSINE;

            public String jsonName() {
                return name().toLowerCase(Locale.ROOT);
            }

            /** The kind a manifest names; fails with the names it knows. */
            public static Kind of(String name) {
                for (Kind k : values()) if (k.jsonName().equals(name)) return k;
                throw new IllegalArgumentException("schedule kind '" + name + "' is not one of constant, step, cosine");
            }
        }

        public Schedule {
            Objects.requireNonNull(kind, "kind");
            switch (kind) {
                case CONSTANT -> { }
                case STEP -> {
                    if (stepSize < 1 || !(gamma > 0) || !Double.isFinite(gamma)) {
                        throw new IllegalArgumentException("a step schedule needs step_size ≥ 1 and a finite gamma > 0, got step_size = "
                                + stepSize + ", gamma = " + gamma);
                    }
                }
                case COSINE -> {
                    if (tMax < 1) {
                        throw new IllegalArgumentException("a cosine schedule needs t_max ≥ 1, got " + tMax);
                    }
                    requireNonNegative("eta_min", etaMin);
                }
            }
        }

        /** The learning rate stays at the optimizer's {@code lr}. */
        public static Schedule constant() {
            return new Schedule(Kind.CONSTANT, 1, 1, 1, 0);
        }

        /** {@code lr · gamma^(epoch / stepSize)}, integer division. */
        public static Schedule step(int stepSize, double gamma) {
            return new Schedule(Kind.STEP, stepSize, gamma, 1, 0);
        }

        /** {@code etaMin + (lr − etaMin)·(1 + cos(π·epoch/tMax))/2}, also past {@code tMax}. */
        public static Schedule cosine(int tMax, double etaMin) {
            return new Schedule(Kind.COSINE, 1, 1, tMax, etaMin);
        }

        /** The learning rate of epoch {@code epoch} (0-based, non-negative) for base rate {@code lr}. */
        public double learningRate(double lr, int epoch) {
            if (epoch < 0) {
                throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
            }
            return switch (kind) {
                case STEP -> lr * Math.pow(gamma, epoch / stepSize);
                case COSINE -> etaMin + (lr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
                case CONSTANT -> lr;
            };
        }
    }

    private static void requirePositive(String name, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("optimizer " + name + " must be finite and positive, got " + value);
        }
    }

    private static void requireNonNegative(String name, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("optimizer " + name + " must be finite and non-negative, got " + value);
        }
    }
}

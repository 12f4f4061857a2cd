package dev.nnc.compiler.emit;

import dev.nnc.compiler.kernel.Kernel;
import dev.nnc.compiler.kernel.KernelProgram;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.runtime.CompiledModel;
import dev.nnc.runtime.CompiledTrainer;
import dev.nnc.runtime.Manifest;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

/**
 * Emits kernel programs as one JVM class: {@code infer} ({@link CompiledModel}) and, for a training artifact,
 * {@code trainStep} ({@link CompiledTrainer}) each call one private static method per kernel, in order. Loop kernels become loop nests with their extents, strides and buffer
 * offsets baked in as constants (only the batch is a run-time value), so the JIT specializes them; library
 * kernels become calls into {@code dev.nnc.kernels}. Frames are computed by ASM.
 */
public final class JvmEmitter {
    private static final Method INFER_METHOD = Method.getMethod(Asm.reflect(CompiledModel.class, "infer", MemorySegment.class, MemorySegment.class, int.class));
    private static final Method TRAIN_STEP_METHOD = Method.getMethod(Asm.reflect(CompiledTrainer.class, "trainStep", MemorySegment.class, MemorySegment.class, int.class));
    private static final Method KERNEL_SIGNATURE = new Method("kernel", Type.VOID_TYPE, new Type[] {Asm.SEGMENT, Asm.SEGMENT, Type.INT_TYPE});

    /** The entry points a generated class can have, and the runtime interface each implements. */
    public enum Entry {
        /** {@code CompiledModel.infer(arena, weights, batch)}. */
        INFER(INFER_METHOD, CompiledModel.class),
        /** {@code CompiledTrainer.trainStep(arena, state, batch)}: one optimizer step, updating {@code state} in place. */
        TRAIN_STEP(TRAIN_STEP_METHOD, CompiledTrainer.class);

        private final Method method;
        private final Class<?> owner;

        Entry(Method method, Class<?> owner) {
            this.method = method;
            this.owner = owner;
        }
    }

    /** One entry point: its kernel program and that program's memory plan. */
    /**
     * One entry method to emit; {@code types} gives each input and output its type as the manifest writes it
     * ({@code f32[B, 784]}), for the layout constant the loader checks (empty where no artifact will be written).
     */
    public record EntryPoint(Entry entry, KernelProgram program, MemoryPlan plan, Map<String, String> types) {
        public EntryPoint {
            types = Map.copyOf(types);
        }

        public EntryPoint(Entry entry, KernelProgram program, MemoryPlan plan) {
            this(entry, program, plan, Map.of());
        }
    }

    private final LoopEmitter loops;
    private final LibraryCalls calls;

    private JvmEmitter(MemoryPlan plan, Type selfType) {
        this.loops = new LoopEmitter(plan, selfType);
        this.calls = new LibraryCalls(plan);
    }

    /** The class file with one method per entry point, under {@code binaryName} (e.g. {@code nnc.gen.Mlp}). */
    public static byte[] emit(String binaryName, String sourceName, List<EntryPoint> entries) {
        String internalName = binaryName.replace('.', '/');
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        String[] interfaces = entries.stream().map(e -> Type.getInternalName(e.entry().owner)).toArray(String[]::new);
        cw.visit(Opcodes.V25, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, internalName, null,
                Type.getInternalName(Object.class), interfaces);
        cw.visitSource(sourceName, null);

        GeneratorAdapter init = new GeneratorAdapter(Opcodes.ACC_PUBLIC, Method.getMethod("void <init> ()"), null, null, cw);
        init.loadThis();
        init.invokeConstructor(Type.getType(Object.class), Method.getMethod("void <init> ()"));
        init.returnValue();
        init.endMethod();

        Type self = Type.getObjectType(internalName);
        cw.visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, Manifest.LAYOUT_FIELD, "Ljava/lang/String;", null,
                layoutKey(entries)).visitEnd();
        emitVectorConstants(cw, self);
        for (EntryPoint e : entries) new JvmEmitter(e.plan(), self).emitEntry(cw, self, e);
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** {@code Manifest.layoutKey} of what these entry points were compiled for, which the loader checks against the manifest. */
    private static String layoutKey(List<EntryPoint> entries) {
        long arena = 0;
        Map<String, String> inferIn = null, inferOut = null, trainIn = null, trainOut = null;
        int maxBatch = 1;
        for (EntryPoint e : entries) {
            arena = Math.max(arena, e.plan().arenaBytes());
            maxBatch = e.program().maxBatch();
            Map<String, String> in = new java.util.TreeMap<>(), out = new java.util.TreeMap<>();
            e.program().inputs().forEach((name, o) -> in.put(name, Manifest.placement(4 * e.plan().floatIndex(o), e.types().getOrDefault(name, "?"))));
            e.program().outputs().forEach((name, o) -> out.put(name, Manifest.placement(4 * e.plan().floatIndex(o), e.types().getOrDefault(name, "?"))));
            switch (e.entry()) {
                case INFER -> { inferIn = in; inferOut = out; }
                case TRAIN_STEP -> { trainIn = in; trainOut = out; }
            }
        }
        return Manifest.layoutKey(maxBatch, arena, inferIn, inferOut, trainIn, trainOut);
    }

    /** The static final species and byte order every vector loop reads, set in {@code <clinit>}. */
    private static void emitVectorConstants(ClassWriter cw, Type self) {
        int flags = Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL;
        cw.visitField(flags, Asm.SPECIES_FIELD, Asm.VECTOR_SPECIES.getDescriptor(), "Ljdk/incubator/vector/VectorSpecies<Ljava/lang/Float;>;", null).visitEnd();
        cw.visitField(flags, Asm.ORDER_FIELD, Asm.BYTE_ORDER.getDescriptor(), null, null).visitEnd();
        GeneratorAdapter clinit = new GeneratorAdapter(Opcodes.ACC_STATIC, Method.getMethod("void <clinit> ()"), null, null, cw);
        clinit.getStatic(Asm.FLOAT_VECTOR, "SPECIES_PREFERRED", Asm.VECTOR_SPECIES);
        clinit.putStatic(self, Asm.SPECIES_FIELD, Asm.VECTOR_SPECIES);
        clinit.invokeStatic(Asm.BYTE_ORDER, Method.getMethod(Asm.reflect(ByteOrder.class, "nativeOrder")));
        clinit.putStatic(self, Asm.ORDER_FIELD, Asm.BYTE_ORDER);
        clinit.returnValue();
        clinit.endMethod();
    }

    /** Kernels called by one entry method or part of it: a call is 6 bytes, so a part stays far below 8,000. */
    private static final int CALLS_PER_METHOD = 1000;

    /**
     * The entry method calls one private static method per kernel, in order; a program of more than
     * {@value #CALLS_PER_METHOD} kernels calls them from parts of that many each, so no method outgrows what the JIT
     * compiles (and the JVM's 64 KB limit).
     */
    private void emitEntry(ClassWriter cw, Type self, EntryPoint e) {
        List<Kernel> kernels = e.program().kernels();
        String name = e.entry().method.getName();
        List<Method> parts = new ArrayList<>();
        for (int start = 0; start < kernels.size(); start += CALLS_PER_METHOD) {
            Method part = kernels.size() <= CALLS_PER_METHOD ? null : kernelMethod(name + "_part" + parts.size());
            GeneratorAdapter caller = part == null
                    ? new GeneratorAdapter(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, e.entry().method, null, null, cw)
                    : new GeneratorAdapter(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC, part, null, null, cw);
            for (int i = start; i < Math.min(kernels.size(), start + CALLS_PER_METHOD); i++) {
                Method kernel = kernelMethod(name + "_k" + i);
                GeneratorAdapter g = new GeneratorAdapter(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC, kernel, null, null, cw);
                emitKernel(g, kernels.get(i));
                g.returnValue();
                g.endMethod();
                callKernel(caller, self, kernel);
            }
            caller.returnValue();
            caller.endMethod();
            if (part != null) parts.add(part);
        }
        if (kernels.isEmpty()) {
            GeneratorAdapter entry = new GeneratorAdapter(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, e.entry().method, null, null, cw);
            entry.returnValue();
            entry.endMethod();
        } else if (!parts.isEmpty()) {
            GeneratorAdapter entry = new GeneratorAdapter(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL, e.entry().method, null, null, cw);
            for (Method part : parts) callKernel(entry, self, part);
            entry.returnValue();
            entry.endMethod();
        }
    }

    /** {@code kernel(arena, weights, batch)}: the entry method and its parts take the same three arguments. */
    private static void callKernel(GeneratorAdapter caller, Type self, Method kernel) {
        caller.loadArg(Asm.ARENA_ARG);
        caller.loadArg(Asm.WEIGHTS_ARG);
        caller.loadArg(Asm.BATCH_ARG);
        caller.invokeStatic(self, kernel);
    }

    private static Method kernelMethod(String name) {
        return new Method(name, KERNEL_SIGNATURE.getReturnType(), KERNEL_SIGNATURE.getArgumentTypes());
    }

    private void emitKernel(GeneratorAdapter g, Kernel kernel) {
        switch (kernel) {
            case Kernel.Loop loop -> loops.emit(g, loop);
            case Kernel.Call call -> {
                calls.emit(g, call.call());
                if (call.epilogue() != null) loops.emit(g, call.epilogue());
            }
        }
    }
}

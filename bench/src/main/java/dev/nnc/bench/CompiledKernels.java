package dev.nnc.bench;

import dev.nnc.compiler.driver.Compiler;
import dev.nnc.runtime.CompiledModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A compilation's generated class, defined in its own class loader, with an arena of its own: calls {@code infer}
 * directly on the arena, so a benchmark times the kernels alone (no input copy-in, no output copy-out). For models
 * without parameters only. Confined to the thread that created it; close it to free the arena.
 */
public final class CompiledKernels implements AutoCloseable {

    private final CompiledModel model;
    private final Arena arena;
    private final MemorySegment memory;
    private final MemorySegment weights;

    /** Defines {@code compilation}'s class and allocates its arena (64-byte aligned, zeroed). */
    public CompiledKernels(Compiler.Compilation compilation) throws ReflectiveOperationException {
        if (!compilation.graph().params().isEmpty()) {
            throw new IllegalArgumentException("CompiledKernels runs models without parameters; " + compilation.graph().name() + " has some");
        }
        byte[] bytes = compilation.classFile();
        Class<?> generated = new Loader().define(compilation.className(), bytes);
        this.model = (CompiledModel) generated.getConstructor().newInstance();
        this.arena = Arena.ofConfined();
        this.memory = arena.allocate(Math.max(1, compilation.plan().arenaBytes()), 64);
        this.weights = arena.allocate(64, 64);
    }

    /** The arena the kernels read and write (inputs at the offsets the plan gives them). */
    public MemorySegment memory() {
        return memory;
    }

    /** Runs every kernel of the inference entry point once at {@code batch}. */
    public void infer(int batch) {
        model.infer(memory, weights, batch);
    }

    @Override
    public void close() {
        arena.close();
    }

    private static final class Loader extends ClassLoader {
        Loader() {
            super(CompiledKernels.class.getClassLoader());
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}

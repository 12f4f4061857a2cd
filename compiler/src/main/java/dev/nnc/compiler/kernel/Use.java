package dev.nnc.compiler.kernel;

import java.util.Objects;

/** One operand of a kernel and what the kernel does with it: the facts liveness, fusion and every emitter read. */
public record Use(Operand operand, Access access) {

    /** How a kernel touches an operand. */
    public enum Access {
        /** Read; its contents must be ready before the kernel runs. */
        READ,
        /** Written with a result someone may read later. */
        WRITE,
        /** Written and read only inside this kernel: needed during it, dead before and after. */
        SCRATCH
    }

    public Use {
        Objects.requireNonNull(operand);
        Objects.requireNonNull(access);
    }

    static Use read(Operand o) {
        return new Use(o, Access.READ);
    }

    static Use write(Operand o) {
        return new Use(o, Access.WRITE);
    }

    static Use scratch(Operand o) {
        return new Use(o, Access.SCRATCH);
    }
}

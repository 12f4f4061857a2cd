package dev.nnc.compiler.driver;

/** How much the compiler optimizes: {@code O0} is one kernel per primitive op and one buffer per value (the baseline). */
public enum OptLevel {
    /** No fusion, no buffer reuse: what the fused-vs-unfused comparison measures against. */
    O0,
    /** Fusion and memory planning (the default). */
    O2
}

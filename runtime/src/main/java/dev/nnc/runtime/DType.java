package dev.nnc.runtime;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The element types a tensor, an artifact input or a weight may have, with their names in the DSL and in safetensors. */
public enum DType {
    /** 32-bit IEEE 754 float, little-endian in every file. */
    F32(4, "f32", "F32"),
    /** 32-bit two's complement integer, little-endian in every file. */
    I32(4, "i32", "I32");

    private final int byteSize;
    private final String dslName;
    private final String safetensorsName;

    DType(int byteSize, String dslName, String safetensorsName) {
        this.byteSize = byteSize;
        this.dslName = dslName;
        this.safetensorsName = safetensorsName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name used in the DSL, in {@code manifest.json} and in {@link TensorSpec#toString()}: {@code "f32"}, {@code "i32"}. */
    public String dslName() {
        return dslName;
    }

    /** The name used in a safetensors header: {@code "F32"}, {@code "I32"}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** The type whose {@link #dslName()} is {@code name}; IllegalArgumentException naming the known types otherwise. */
    public static DType fromDslName(String name) {
        for (DType t : values()) {
            if (t.dslName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "' (known: " + known(true) + ")");
    }

    /** The type whose {@link #safetensorsName()} is {@code name}; IllegalArgumentException naming the supported types otherwise. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: " + known(false) + ")");
    }

    private static String known(boolean dsl) {
        return Arrays.stream(values()).map(t -> dsl ? t.dslName : t.safetensorsName).collect(Collectors.joining(", "));
    }
}

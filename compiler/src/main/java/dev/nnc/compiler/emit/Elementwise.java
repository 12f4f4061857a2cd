package dev.nnc.compiler.emit;

import static dev.nnc.compiler.emit.Asm.FLOAT_VECTOR;

import dev.nnc.compiler.ir.Op;
import dev.nnc.kernels.FloatMath;
import dev.nnc.kernels.MathFns;
import java.lang.reflect.Method;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;

/**
 * The elementwise operations of loop kernels, on floats and on {@code FloatVector}s, with one meaning: a vector
 * lane is bit for bit what the scalar path computes, so a result does not depend on which lanes a loop vectorized.
 * Each switch is exhaustive over its op kind, so a new kind does not compile until it has both forms.
 */
final class Elementwise {

    private static final Method MAX = Asm.reflect(Math.class, "max", float.class, float.class);
    private static final Method MIN = Asm.reflect(Math.class, "min", float.class, float.class);
    private static final Method ABS = Asm.reflect(Math.class, "abs", float.class);
    private static final Method SIGNUM = Asm.reflect(Math.class, "signum", float.class);
    private static final Method SQRT = Asm.reflect(Math.class, "sqrt", double.class);
    private static final Method EXP = Asm.reflect(FloatMath.class, "exp", float.class);
    private static final Method LOG = Asm.reflect(FloatMath.class, "log", float.class);
    private static final Method TANH = Asm.reflect(FloatMath.class, "tanh", float.class);
    private static final Method SIGMOID = Asm.reflect(FloatMath.class, "sigmoid", float.class);
    private static final Method SOFTPLUS = Asm.reflect(FloatMath.class, "softplus", float.class);
    private static final Method STEP = Asm.reflect(MathFns.class, "step", float.class);
    private static final Method GE = Asm.reflect(MathFns.class, "ge", float.class, float.class);
    private static final Method LT = Asm.reflect(MathFns.class, "lt", float.class, float.class);
    private static final Method GELU = Asm.reflect(MathFns.class, "gelu", float.class);
    private static final Method GELU_GRAD = Asm.reflect(MathFns.class, "geluGrad", float.class);

    private final GeneratorAdapter g;
    private final Type self;

    Elementwise(GeneratorAdapter g, Type self) {
        this.g = g;
        this.self = self;
    }

    /** Whether {@code kind} has a vector form (exact GELU and its derivative need erf, which has none yet). */
    static boolean hasVectorForm(Op.UnaryKind kind) {
        return switch (kind) {
            case NEG, RELU, SIGMOID, TANH, EXP, LOG, SQRT, STEP, ABS, SIGN, SOFTPLUS -> true;
            case GELU, GELU_GRAD -> false;
        };
    }

    /** Replaces the float on the stack by {@code kind} of it. */
    void unary(Op.UnaryKind kind) {
        switch (kind) {
            case NEG -> g.math(GeneratorAdapter.NEG, Type.FLOAT_TYPE);
            case RELU -> {
                g.push(0f);
                Asm.invoke(g, MAX);
            }
            case SIGMOID -> Asm.invoke(g, SIGMOID);
            case GELU -> Asm.invoke(g, GELU);
            case TANH -> Asm.invoke(g, TANH);
            case EXP -> Asm.invoke(g, EXP);
            case LOG -> Asm.invoke(g, LOG);
            case SQRT -> {
                // correctly rounded in double, then rounded to float: the correctly rounded float square root
                g.cast(Type.FLOAT_TYPE, Type.DOUBLE_TYPE);
                Asm.invoke(g, SQRT);
                g.cast(Type.DOUBLE_TYPE, Type.FLOAT_TYPE);
            }
            case STEP -> Asm.invoke(g, STEP);
            case ABS -> Asm.invoke(g, ABS);
            case SIGN -> Asm.invoke(g, SIGNUM);
            case SOFTPLUS -> Asm.invoke(g, SOFTPLUS);
            case GELU_GRAD -> Asm.invoke(g, GELU_GRAD);
        }
    }

    /**
     * Replaces the vector on the stack by {@code kind} applied lanewise, with the scalar semantics: relu is
     * {@code max(x, 0)}; step is 1 where {@code x > 0} else 0 (NaN gives 0); sign keeps ±0 and NaN and gives ±1
     * elsewhere; the transcendental functions are {@link VectorMath}'s copies of {@link FloatMath}.
     */
    void vectorUnary(Op.UnaryKind kind) {
        VectorMath math = new VectorMath(g, self);
        switch (kind) {
            case NEG -> g.invokeVirtual(FLOAT_VECTOR, Asm.NEG);
            case ABS -> g.invokeVirtual(FLOAT_VECTOR, Asm.ABS);
            case RELU -> {
                g.push(0f);
                g.invokeVirtual(FLOAT_VECTOR, Asm.MAX_SCALAR);
            }
            case SQRT -> g.invokeVirtual(FLOAT_VECTOR, Asm.SQRT);
            case TANH -> math.tanh();
            case EXP -> math.exp();
            case LOG -> math.log();
            case SIGMOID -> math.sigmoid();
            case SOFTPLUS -> math.softplus();
            case STEP -> {
                int x = storeVector();
                broadcast(0f);
                broadcast(1f);
                compareWithZero(x, "GT");
                g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
            }
            case SIGN -> {
                int x = storeVector();
                g.loadLocal(x);
                broadcast(1f);
                compareWithZero(x, "GT");
                g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
                broadcast(-1f);
                compareWithZero(x, "LT");
                g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
            }
            case GELU, GELU_GRAD -> throw new IllegalStateException(kind.mnemonic() + " has no vector form; its kernel stays scalar");
        }
    }

    /** Replaces the two floats on the stack, a and b, by {@code a ⊕ b}. */
    void binary(Op.BinaryKind kind) {
        switch (kind) {
            case ADD -> g.math(GeneratorAdapter.ADD, Type.FLOAT_TYPE);
            case SUB -> g.math(GeneratorAdapter.SUB, Type.FLOAT_TYPE);
            case MUL -> g.math(GeneratorAdapter.MUL, Type.FLOAT_TYPE);
            case DIV -> g.math(GeneratorAdapter.DIV, Type.FLOAT_TYPE);
            case MAX -> Asm.invoke(g, MAX);
            case MIN -> Asm.invoke(g, MIN);
            case GE -> Asm.invoke(g, GE);
            case LT -> Asm.invoke(g, LT);
        }
    }

    /** Replaces the two vectors on the stack by {@code a ⊕ b} lanewise; ge/lt give 1 where the comparison holds, else 0 (NaN: 0). */
    void vectorBinary(Op.BinaryKind kind) {
        switch (kind) {
            case ADD -> g.invokeVirtual(FLOAT_VECTOR, Asm.ADD);
            case SUB -> g.invokeVirtual(FLOAT_VECTOR, Asm.SUB);
            case MUL -> g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
            case DIV -> g.invokeVirtual(FLOAT_VECTOR, Asm.DIV);
            case MAX -> g.invokeVirtual(FLOAT_VECTOR, Asm.MAX);
            case MIN -> g.invokeVirtual(FLOAT_VECTOR, Asm.MIN);
            case GE -> compareToOne("GE");
            case LT -> compareToOne("LT");
        }
    }

    /** {@code acc, x → acc ⊕ x} for floats or vectors (vector max follows {@code Math.max}, NaN included). */
    void combine(Op.ReduceKind kind, boolean vector) {
        switch (kind) {
            case SUM -> {
                if (vector) g.invokeVirtual(FLOAT_VECTOR, Asm.ADD);
                else g.math(GeneratorAdapter.ADD, Type.FLOAT_TYPE);
            }
            case MAX -> {
                if (vector) g.invokeVirtual(FLOAT_VECTOR, Asm.MAX);
                else Asm.invoke(g, MAX);
            }
        }
    }

    /** a, b on the stack → 1 where {@code a <comparison> b}, else 0. */
    private void compareToOne(String comparison) {
        int b = storeVector();
        g.getStatic(Asm.VECTOR_OPERATORS, comparison, Asm.COMPARISON);
        g.loadLocal(b);
        g.invokeVirtual(FLOAT_VECTOR, Asm.COMPARE);
        int mask = g.newLocal(Type.getType(jdk.incubator.vector.VectorMask.class));
        g.storeLocal(mask);
        broadcast(0f);
        broadcast(1f);
        g.loadLocal(mask);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
    }

    private int storeVector() {
        int local = g.newLocal(FLOAT_VECTOR);
        g.storeLocal(local);
        return local;
    }

    /** Pushes the mask {@code x <comparison> 0}. */
    private void compareWithZero(int x, String comparison) {
        g.loadLocal(x);
        g.getStatic(Asm.VECTOR_OPERATORS, comparison, Asm.COMPARISON);
        g.push(0f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.COMPARE_SCALAR);
    }

    private void broadcast(float value) {
        g.getStatic(self, Asm.SPECIES_FIELD, Asm.VECTOR_SPECIES);
        g.push(value);
        g.invokeStatic(FLOAT_VECTOR, Asm.BROADCAST);
    }
}

package dev.nnc.compiler.emit;

import static dev.nnc.compiler.emit.Asm.FLOAT_VECTOR;
import static dev.nnc.compiler.emit.Asm.INT_VECTOR;

import dev.nnc.kernels.FloatMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

/**
 * The vector forms of {@link FloatMath}'s functions, emitted inline into a loop kernel: each replaces the
 * {@code FloatVector} on top of the stack by the function of its lanes, with exactly the float operations the
 * scalar method performs, in the same order, so every lane equals the scalar result bit for bit. The code is
 * inlined rather than called because a vector that crosses a method boundary C2 did not inline is boxed.
 */
final class VectorMath {

    private static final Type MASK = Type.getType(VectorMask.class);
    private static final Method ADD_S = Asm.floatVector("add", float.class);
    private static final Method SUB_S = Asm.floatVector("sub", float.class);
    private static final Method MUL_S = Asm.floatVector("mul", float.class);
    private static final Method MIN_S = Asm.floatVector("min", float.class);
    private static final Method MAX_S = Asm.floatVector("max", float.class);
    private static final Method FMA_S = Asm.floatVector("fma", float.class, float.class);
    private static final Method BLEND_S = Asm.floatVector("blend", float.class, VectorMask.class);
    private static final Method TEST = Asm.floatVector("test", VectorOperators.Test.class);
    private static final Method AS_INTS = Asm.floatVector("reinterpretAsInts");
    private static final Method AS_FLOATS = intVector("reinterpretAsFloats");
    private static final Method INT_ADD_S = intVector("add", int.class);
    private static final Method INT_SUB = intVector("sub", Vector.class);
    private static final Method INT_SUB_S = intVector("sub", int.class);
    private static final Method INT_AND_S = intVector("and", int.class);
    private static final Method INT_OR_S = intVector("or", int.class);
    private static final Method INT_OR = intVector("or", Vector.class);
    private static final Method INT_SHIFT = intVector("lanewise", VectorOperators.Binary.class, int.class);
    private static final Method MASK_OR = Method.getMethod(Asm.reflect(VectorMask.class, "or", VectorMask.class));

    private final GeneratorAdapter g;
    private final Type self;

    VectorMath(GeneratorAdapter g, Type self) {
        this.g = g;
        this.self = self;
    }

    /** e^x, as {@link FloatMath#exp}. */
    void exp() {
        int x = store();
        load(x);
        call(MAX_S, FloatMath.EXP_MIN);
        call(MIN_S, FloatMath.EXP_MAX);
        int c = store();
        load(c);
        g.push(FloatMath.LOG2E);
        g.push(FloatMath.ROUNDER);
        g.invokeVirtual(FLOAT_VECTOR, FMA_S);
        int t = store();
        load(t);
        call(SUB_S, FloatMath.ROUNDER);
        int n = store();
        load(t);
        g.invokeVirtual(FLOAT_VECTOR, AS_INTS);
        g.push(FloatMath.ROUNDER_BITS);
        g.invokeVirtual(INT_VECTOR, INT_SUB_S);
        int k = g.newLocal(INT_VECTOR);
        g.storeLocal(k);
        // r = fma(n, −ln2_hi, c); r = fma(n, −ln2_lo, r)
        load(n);
        g.push(-FloatMath.LN2_HI);
        load(c);
        fma();
        int r0 = store();
        load(n);
        g.push(-FloatMath.LN2_LO);
        load(r0);
        fma();
        int r = store();
        horner(FloatMath.EXP_P, r);
        load(r);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);             // p · r
        load(r);
        load(r);
        call(ADD_S, 1f);                                     // r + 1
        g.invokeVirtual(FLOAT_VECTOR, Asm.FMA);              // e^r
        // · 2^(k >> 1) · 2^(k − (k >> 1))
        g.loadLocal(k);
        shift("ASHR", 1);
        int half = g.newLocal(INT_VECTOR);
        g.storeLocal(half);
        g.loadLocal(half);
        powerOfTwo();
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        g.loadLocal(k);
        g.loadLocal(half);
        g.invokeVirtual(INT_VECTOR, INT_SUB);
        powerOfTwo();
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        g.push(Float.POSITIVE_INFINITY);
        compare(x, "GT", FloatMath.EXP_MAX);
        g.invokeVirtual(FLOAT_VECTOR, BLEND_S);
    }

    /** The natural logarithm, as {@link FloatMath#log}. */
    void log() {
        int x = store();
        compare(x, "LT", Float.MIN_NORMAL);
        int subnormal = g.newLocal(MASK);
        g.storeLocal(subnormal);
        load(x);
        load(x);
        call(MUL_S, FloatMath.TWO_23);
        g.loadLocal(subnormal);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        g.invokeVirtual(FLOAT_VECTOR, AS_INTS);
        int bits = g.newLocal(INT_VECTOR);
        g.storeLocal(bits);
        // e = asFloat(((bits >>> 23) & 0xFF) | 2²³ bits) − (2²³ + 126), minus 23 for a subnormal
        g.loadLocal(bits);
        shift("LSHR", 23);
        g.push(0xFF);
        g.invokeVirtual(INT_VECTOR, INT_AND_S);
        g.push(FloatMath.EXPONENT_BITS);
        g.invokeVirtual(INT_VECTOR, INT_OR_S);
        g.invokeVirtual(INT_VECTOR, AS_FLOATS);
        call(SUB_S, FloatMath.EXPONENT_BIAS);
        int e0 = store();
        load(e0);
        load(e0);
        call(SUB_S, 23f);
        g.loadLocal(subnormal);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        int e1 = store();
        // m = asFloat((bits & 0x007FFFFF) | 0x3F000000)
        g.loadLocal(bits);
        g.push(0x007FFFFF);
        g.invokeVirtual(INT_VECTOR, INT_AND_S);
        g.push(0x3F000000);
        g.invokeVirtual(INT_VECTOR, INT_OR_S);
        g.invokeVirtual(INT_VECTOR, AS_FLOATS);
        int m0 = store();
        compare(m0, "LT", FloatMath.SQRT_HALF);
        int low = g.newLocal(MASK);
        g.storeLocal(low);
        load(e1);
        load(e1);
        call(SUB_S, 1f);
        g.loadLocal(low);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        int e = store();
        load(m0);
        call(SUB_S, 1f);
        load(m0);
        load(m0);
        g.invokeVirtual(FLOAT_VECTOR, Asm.ADD);
        call(SUB_S, 1f);
        g.loadLocal(low);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        int m = store();
        load(m);
        load(m);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        int z = store();
        horner(FloatMath.LOG_P, m);
        load(m);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        load(z);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);             // y = p · m · z
        int y0 = store();
        load(e);
        g.push(FloatMath.LN2_LO);
        load(y0);
        fma();
        int y1 = store();
        load(z);
        g.push(-0.5f);
        load(y1);
        fma();
        int y = store();
        load(e);
        g.push(FloatMath.LN2_HI);
        load(m);
        load(y);
        g.invokeVirtual(FLOAT_VECTOR, Asm.ADD);
        fma();
        load(x);
        compare(x, "EQ", Float.POSITIVE_INFINITY);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        g.push(Float.NEGATIVE_INFINITY);
        compare(x, "EQ", 0f);
        g.invokeVirtual(FLOAT_VECTOR, BLEND_S);
        g.push(Float.NaN);
        compare(x, "LT", 0f);
        load(x);
        g.getStatic(Asm.VECTOR_OPERATORS, "IS_NAN", Type.getType(VectorOperators.Test.class));
        g.invokeVirtual(FLOAT_VECTOR, TEST);
        g.invokeVirtual(MASK, MASK_OR);
        g.invokeVirtual(FLOAT_VECTOR, BLEND_S);
    }

    /** The hyperbolic tangent, as {@link FloatMath#tanh}. */
    void tanh() {
        int x = store();
        load(x);
        g.invokeVirtual(FLOAT_VECTOR, Asm.ABS);
        int a = store();
        load(a);
        load(a);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        int z = store();
        horner(FloatMath.TANH_P, z);
        load(z);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        load(a);
        load(a);
        g.invokeVirtual(FLOAT_VECTOR, Asm.FMA);             // small = fma(p·z, a, a)
        int small = store();
        broadcast(1f);
        broadcast(2f);
        load(a);
        load(a);
        g.invokeVirtual(FLOAT_VECTOR, Asm.ADD);
        exp();
        call(ADD_S, 1f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.DIV);
        g.invokeVirtual(FLOAT_VECTOR, Asm.SUB);             // large = 1 − 2/(e^{2a} + 1)
        load(small);
        compare(a, "LT", FloatMath.TANH_SMALL);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        // copySign(·, x): magnitude bits | x's sign bit
        g.invokeVirtual(FLOAT_VECTOR, AS_INTS);
        g.push(0x7FFFFFFF);
        g.invokeVirtual(INT_VECTOR, INT_AND_S);
        load(x);
        g.invokeVirtual(FLOAT_VECTOR, AS_INTS);
        g.push(0x80000000);
        g.invokeVirtual(INT_VECTOR, INT_AND_S);
        g.invokeVirtual(INT_VECTOR, INT_OR);
        g.invokeVirtual(INT_VECTOR, AS_FLOATS);
    }

    /** The logistic function, as {@link FloatMath#sigmoid}. */
    void sigmoid() {
        int x = store();
        expOfMinusAbs(x);
        int e = store();
        broadcast(1f);
        load(e);
        call(ADD_S, 1f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.DIV);
        int positive = store();
        load(e);
        load(positive);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);
        load(positive);
        compare(x, "GE", 0f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
    }

    /** log(1 + e^x), as {@link FloatMath#softplus}. */
    void softplus() {
        int x = store();
        expOfMinusAbs(x);
        int e = store();
        load(e);
        call(ADD_S, 1f);
        int u = store();
        load(u);
        log();
        load(e);
        load(u);
        call(SUB_S, 1f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.DIV);
        g.invokeVirtual(FLOAT_VECTOR, Asm.MUL);             // log(u) · (e / (u − 1))
        load(e);
        compare(u, "EQ", 1f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.BLEND);
        load(x);
        call(MAX_S, 0f);
        g.invokeVirtual(FLOAT_VECTOR, Asm.ADD);            // log1p + max(x, 0), as the scalar max(x, 0) + log1p
    }

    private void expOfMinusAbs(int x) {
        load(x);
        g.invokeVirtual(FLOAT_VECTOR, Asm.ABS);
        g.invokeVirtual(FLOAT_VECTOR, Asm.NEG);
        exp();
    }

    /** Pushes {@code P(v)} by Horner's rule with fused steps, {@code coefficients} highest first. */
    private void horner(float[] coefficients, int v) {
        broadcast(coefficients[0]);
        for (int i = 1; i < coefficients.length; i++) {
            load(v);
            broadcast(coefficients[i]);
            g.invokeVirtual(FLOAT_VECTOR, Asm.FMA);
        }
    }

    /** The int vector on the stack, k, as the float vector 2^k (k + 127 in the exponent field). */
    private void powerOfTwo() {
        g.push(127);
        g.invokeVirtual(INT_VECTOR, INT_ADD_S);
        shift("LSHL", 23);
        g.invokeVirtual(INT_VECTOR, AS_FLOATS);
    }

    /** a, s, b on the stack (vector, float, vector) → fma(a, s, b). */
    private void fma() {
        int b = store();
        broadcastTop();
        load(b);
        g.invokeVirtual(FLOAT_VECTOR, Asm.FMA);
    }

    /** The float on the stack as a vector of that value. */
    private void broadcastTop() {
        int scalar = g.newLocal(Type.FLOAT_TYPE);
        g.storeLocal(scalar);
        g.getStatic(self, Asm.SPECIES_FIELD, Asm.VECTOR_SPECIES);
        g.loadLocal(scalar);
        g.invokeStatic(FLOAT_VECTOR, Asm.BROADCAST);
    }

    /** {@code lanewise(operator, by)} on the int vector on the stack. */
    private void shift(String operator, int by) {
        g.getStatic(Asm.VECTOR_OPERATORS, operator, Asm.BINARY);
        g.push(by);
        g.invokeVirtual(INT_VECTOR, INT_SHIFT);
    }

    /** Pushes the mask {@code v <comparison> value}. */
    private void compare(int v, String comparison, float value) {
        load(v);
        g.getStatic(Asm.VECTOR_OPERATORS, comparison, Asm.COMPARISON);
        g.push(value);
        g.invokeVirtual(FLOAT_VECTOR, Asm.COMPARE_SCALAR);
    }

    private void call(Method vectorByScalar, float value) {
        g.push(value);
        g.invokeVirtual(FLOAT_VECTOR, vectorByScalar);
    }

    private void broadcast(float value) {
        g.getStatic(self, Asm.SPECIES_FIELD, Asm.VECTOR_SPECIES);
        g.push(value);
        g.invokeStatic(FLOAT_VECTOR, Asm.BROADCAST);
    }

    private int store() {
        int local = g.newLocal(FLOAT_VECTOR);
        g.storeLocal(local);
        return local;
    }

    private void load(int local) {
        g.loadLocal(local);
    }

    private static Method intVector(String name, Class<?>... parameterTypes) {
        return Method.getMethod(Asm.reflect(IntVector.class, name, parameterTypes));
    }
}

package dev.nnc.compiler.emit;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.kernel.Buffer;
import dev.nnc.compiler.kernel.MemoryPlan;
import dev.nnc.compiler.kernel.Operand;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.GeneratorAdapter;
import org.objectweb.asm.commons.Method;

/**
 * What every part of the JVM emitter shares: the generated kernel method's arguments, the JDK types and methods
 * generated code calls (resolved by reflection when this class loads, so a missing one fails at once, not when some
 * model first needs it), and pushing operands and dimensions.
 */
final class Asm {

    private Asm() {}

    /** Every kernel method is {@code static void k(MemorySegment arena, MemorySegment weights, int batch)}. */
    static final int ARENA_ARG = 0;
    static final int WEIGHTS_ARG = 1;
    static final int BATCH_ARG = 2;

    static final Type SEGMENT = Type.getType(MemorySegment.class);
    static final Type VALUE_LAYOUT = Type.getType(ValueLayout.class);
    static final Type OF_FLOAT = Type.getType(ValueLayout.OfFloat.class);
    static final Type OF_INT = Type.getType(ValueLayout.OfInt.class);
    static final Method GET_FLOAT = Method.getMethod(reflect(MemorySegment.class, "getAtIndex", ValueLayout.OfFloat.class, long.class));
    static final Method SET_FLOAT = Method.getMethod(reflect(MemorySegment.class, "setAtIndex", ValueLayout.OfFloat.class, long.class, float.class));
    static final Method GET_INT = Method.getMethod(reflect(MemorySegment.class, "getAtIndex", ValueLayout.OfInt.class, long.class));

    static final Type FLOAT_VECTOR = Type.getType(FloatVector.class);
    static final Type INT_VECTOR = Type.getType(IntVector.class);
    static final Type VECTOR = Type.getType(Vector.class);
    static final Type VECTOR_SPECIES = Type.getType(VectorSpecies.class);
    static final Type BYTE_ORDER = Type.getType(ByteOrder.class);
    static final Type VECTOR_OPERATORS = Type.getType(VectorOperators.class);
    static final Type COMPARISON = Type.getType(VectorOperators.Comparison.class);
    static final Type CONVERSION = Type.getType(VectorOperators.Conversion.class);
    static final Type BINARY = Type.getType(VectorOperators.Binary.class);
    static final Method FROM_SEGMENT = Method.getMethod(reflect(FloatVector.class, "fromMemorySegment",
            VectorSpecies.class, MemorySegment.class, long.class, ByteOrder.class));
    static final Method INTO_SEGMENT = floatVector("intoMemorySegment", MemorySegment.class, long.class, ByteOrder.class);
    static final Method BROADCAST = Method.getMethod(reflect(FloatVector.class, "broadcast", VectorSpecies.class, float.class));
    static final Method BLEND = floatVector("blend", Vector.class, VectorMask.class);
    static final Method COMPARE = floatVector("compare", VectorOperators.Comparison.class, Vector.class);
    static final Method COMPARE_SCALAR = floatVector("compare", VectorOperators.Comparison.class, float.class);
    static final Method LANE = floatVector("lane", int.class);
    static final Method LOOP_BOUND = Method.getMethod(reflect(VectorSpecies.class, "loopBound", long.class));
    static final Method LENGTH = Method.getMethod(reflect(VectorSpecies.class, "length"));
    static final Method ADD = floatVector("add", Vector.class);
    static final Method SUB = floatVector("sub", Vector.class);
    static final Method MUL = floatVector("mul", Vector.class);
    static final Method DIV = floatVector("div", Vector.class);
    static final Method MAX = floatVector("max", Vector.class);
    static final Method MIN = floatVector("min", Vector.class);
    static final Method FMA = floatVector("fma", Vector.class, Vector.class);
    static final Method NEG = floatVector("neg");
    static final Method ABS = floatVector("abs");
    static final Method SQRT = floatVector("sqrt");
    static final Method ADD_SCALAR = floatVector("add", float.class);
    static final Method MAX_SCALAR = floatVector("max", float.class);

    /** {@code private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED}: a constant to C2, so vector code is intrinsified. */
    static final String SPECIES_FIELD = "SPECIES";
    /** {@code private static final ByteOrder ORDER = ByteOrder.nativeOrder()}. */
    static final String ORDER_FIELD = "ORDER";

    /** Pushes the segment that holds {@code b}: the arena or the weights. */
    static void pushSegment(GeneratorAdapter g, Buffer b) {
        g.loadArg(switch (b.memory()) {
            case ARENA -> ARENA_ARG;
            case WEIGHTS -> WEIGHTS_ARG;
        });
    }

    /** Pushes the segment and the float offset of a library-call operand. */
    static void pushOperand(GeneratorAdapter g, MemoryPlan plan, Operand o) {
        pushSegment(g, o.buffer());
        g.push(plan.floatIndex(o));
    }

    /** Pushes a dimension as an int: a constant, or {@code factor · batch}. */
    static void pushInt(GeneratorAdapter g, Dim d) {
        if (!d.batch()) {
            g.push(Math.toIntExact(d.factor()));
            return;
        }
        g.loadArg(BATCH_ARG);
        if (d.factor() != 1) {
            g.push(Math.toIntExact(d.factor()));
            g.math(GeneratorAdapter.MUL, Type.INT_TYPE);
        }
    }

    /** Pushes a dimension as a long. */
    static void pushLong(GeneratorAdapter g, Dim d) {
        if (!d.batch()) {
            g.push(d.factor());
            return;
        }
        g.loadArg(BATCH_ARG);
        g.cast(Type.INT_TYPE, Type.LONG_TYPE);
        if (d.factor() != 1) {
            g.push(d.factor());
            g.math(GeneratorAdapter.MUL, Type.LONG_TYPE);
        }
    }

    /** Invokes the public static method {@code m}. */
    static void invoke(GeneratorAdapter g, java.lang.reflect.Method m) {
        g.invokeStatic(Type.getType(m.getDeclaringClass()), Method.getMethod(m));
    }

    /** Invokes the public static method {@code owner.name(parameterTypes)}. */
    static void invoke(GeneratorAdapter g, Class<?> owner, String name, Class<?>... parameterTypes) {
        invoke(g, reflect(owner, name, parameterTypes));
    }

    /** A public {@code FloatVector} instance method, found by reflection so its descriptor is typed. */
    static Method floatVector(String name, Class<?>... parameterTypes) {
        return Method.getMethod(reflect(FloatVector.class, name, parameterTypes));
    }

    /** The one public method {@code owner.name}; fails if there is none or several. */
    static java.lang.reflect.Method unique(Class<?> owner, String name) {
        List<java.lang.reflect.Method> found = Arrays.stream(owner.getMethods()).filter(m -> m.getName().equals(name)).toList();
        if (found.size() != 1) throw new IllegalStateException(owner.getName() + "." + name + " is not a unique public method");
        return found.getFirst();
    }

    static java.lang.reflect.Method reflect(Class<?> owner, String name, Class<?>... parameterTypes) {
        try {
            return owner.getMethod(name, parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("the emitter refers to a missing method " + owner.getName() + "." + name, e);
        }
    }
}

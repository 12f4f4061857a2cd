package dev.nnc.runtime;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantDynamicEntry;
import java.lang.classfile.constantpool.InvokeDynamicEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a generated class's bytes against the allow-list before it is defined, so a damaged or hostile artifact
 * cannot reach reflection, I/O, threads, {@code System} or raw memory.
 *
 * <p>Every class the constant pool names, every owner of a field or method reference and every type in every
 * descriptor must be the class itself, another class of the same artifact, or one of: {@code java/lang/Object},
 * {@code Math}, {@code Float}, {@code Integer}, {@code java/lang/foreign/MemorySegment}, {@code ValueLayout} (and its
 * {@code OfFloat}, {@code OfInt}), {@code java/nio/ByteOrder}, {@code jdk/incubator/vector/*},
 * {@code dev/nnc/kernels/*}, {@code dev/nnc/runtime/CompiledModel} and {@code dev/nnc/runtime/CompiledTrainer}.
 * Refused besides: invokedynamic, method handles, method types and dynamic constants; native methods; a super class other than {@code Object}; a class outside the
 * artifact's package; {@code MemorySegment.reinterpret} (it would unbound memory access) and the monitor methods of
 * {@code Object}. Immutable and thread-safe.
 */
public final class ClassVerifier {

    private static final Set<String> ALLOWED_CLASSES = Set.of(
            "java/lang/Object",
            "java/lang/Math",
            "java/lang/Float",
            "java/lang/Integer",
            "java/lang/foreign/MemorySegment",
            "java/lang/foreign/ValueLayout",
            "java/lang/foreign/ValueLayout$OfFloat",
            "java/lang/foreign/ValueLayout$OfInt",
            "java/nio/ByteOrder",
            "dev/nnc/runtime/CompiledModel",
            "dev/nnc/runtime/CompiledTrainer");

    private static final List<String> ALLOWED_PACKAGE_PREFIXES = List.of("jdk/incubator/vector/", "dev/nnc/kernels/");

    private static final Set<String> REFUSED_MEMBERS = Set.of(
            "java/lang/foreign/MemorySegment.reinterpret",
            "java/lang/Object.wait",
            "java/lang/Object.notify",
            "java/lang/Object.notifyAll");

    private static final List<String> RESERVED_PACKAGE_PREFIXES = List.of("java/", "javax/", "jdk/", "sun/", "com/sun/", "dev/nnc/");

    private final String packageName;
    private final Set<String> artifactClasses;

    /**
     * A verifier for one artifact.
     *
     * @param packageName     the package (binary form, {@code a.b}) all the artifact's classes must be in
     * @param artifactClasses binary names of every class in the artifact
     */
    public ClassVerifier(String packageName, Set<String> artifactClasses) {
        this.packageName = packageName.replace('.', '/');
        this.artifactClasses = artifactClasses.stream().map(n -> n.replace(".", "/")).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether generated code may refer to the class with internal name {@code internalName} from outside the artifact. */
    public static boolean isAllowedPlatformClass(String internalName) {
        return ALLOWED_CLASSES.contains(internalName) || ALLOWED_PACKAGE_PREFIXES.stream().anyMatch(internalName::startsWith);
    }

    /** Returns normally if the class may be defined; an ArtifactException naming the class and the offending reference otherwise. */
    public void verify(String binaryName, byte[] bytes) throws ArtifactException {
        String display = binaryName;
        ClassModel model;
        try {
            model = ClassFile.of().parse(bytes);
        } catch (IllegalArgumentException e) {
            throw refuse(display, "is not a valid class file (" + e.getMessage() + ")");
        }
        try {
            check(display, binaryName.replace('.', '/'), model);
        } catch (IllegalArgumentException e) {
            throw refuse(display, "is malformed (" + e.getMessage() + ")");
        }
    }

    private void check(String display, String expectedName, ClassModel model) throws ArtifactException {
        String self = model.thisClass().asInternalName();
        if (!self.equals(expectedName)) {
            throw refuse(display, "declares itself as " + self + " (its entry name says " + expectedName + ")");
        }
        String pkg = self.contains("/") ? self.substring(0, self.lastIndexOf('/')) : "";
        if (!pkg.equals(packageName) || RESERVED_PACKAGE_PREFIXES.stream().anyMatch(p -> (pkg + "/").startsWith(p))) {
            throw refuse(display, "is in package " + pkg.replace('/', '.') + ", but the artifact's classes must be in "
                    + packageName.replace('/', '.') + " (not a JDK or nnc package)");
        }
        String superName = model.superclass().map(ClassEntry::asInternalName).orElse("none");
        if (!superName.equals("java/lang/Object")) {
            throw refuse(display, "extends " + superName + ", but generated classes must extend java/lang/Object");
        }
        for (PoolEntry entry : model.constantPool()) {
            switch (entry) {
                case InvokeDynamicEntry e -> throw refuse(display, "uses invokedynamic (" + e.name().stringValue() + "), which generated code may not use");
                case ConstantDynamicEntry e -> throw refuse(display, "uses a dynamic constant (" + e.name().stringValue() + "), which generated code may not use");
                default -> { }
            }
        }
        for (PoolEntry entry : model.constantPool()) {
            switch (entry) {
                case MethodHandleEntry e -> throw refuse(display, "uses a method handle to " + e.reference().owner().asInternalName() + "."
                        + e.reference().name().stringValue() + ", which generated code may not use");
                case MethodTypeEntry e -> throw refuse(display, "uses a method type constant " + e.descriptor().stringValue() + ", which generated code may not use");
                default -> { }
            }
        }
        for (PoolEntry entry : model.constantPool()) {
            if (entry instanceof MemberRefEntry ref) {
                String owner = ref.owner().asInternalName();
                String member = ref.name().stringValue();
                String where = simpleName(owner) + "." + member;
                checkType(display, owner, where);
                if (REFUSED_MEMBERS.contains(owner + "." + member)) {
                    throw refuse(display, "calls " + owner + "." + member + ", which generated code may not use");
                }
                String descriptor = ref.type().stringValue();
                for (String type : descriptorTypes(descriptor)) {
                    checkType(display, type, where);
                }
            }
        }
        for (PoolEntry entry : model.constantPool()) {
            if (entry instanceof ClassEntry ce) {
                checkType(display, elementType(ce.asInternalName()), null);
            }
        }
        for (FieldModel field : model.fields()) {
            if (isLayoutConstant(field)) continue;     // the one String the emitter writes: data for the loader, no code touches it
            for (String type : descriptorTypes(field.fieldType().stringValue())) {
                checkType(display, type, "field " + field.fieldName().stringValue());
            }
        }
        for (MethodModel method : model.methods()) {
            String name = method.methodName().stringValue();
            if (method.flags().has(AccessFlag.NATIVE)) {
                throw refuse(display, "declares native method " + name + ", which generated code may not have");
            }
            if (name.equals("finalize") && method.methodType().stringValue().equals("()V")) {
                throw refuse(display, "declares a finalizer, which would run its code on the JVM's finalizer thread after use");
            }
            if (name.equals("<clinit>")) checkStaticInitializer(display, method);
            for (String type : descriptorTypes(method.methodType().stringValue())) {
                checkType(display, type, "method " + name);
            }
        }
    }

    /** {@code public static final String NNC_LAYOUT = "…"}, a ConstantValue the loader reads from the class file. */
    private static boolean isLayoutConstant(FieldModel field) {
        return field.fieldName().equalsString(Manifest.LAYOUT_FIELD) && field.fieldType().equalsString("Ljava/lang/String;")
                && field.flags().has(AccessFlag.STATIC) && field.flags().has(AccessFlag.FINAL)
                && field.findAttribute(java.lang.classfile.Attributes.constantValue()).isPresent();
    }

    /**
     * A static initializer runs when the class is defined, before anything can be checked at run time, so it may only
     * have the shape the emitter gives it: straight-line code (no branch, so no loop) that stores constants and the
     * results of static getters into the class's own static fields, then returns.
     */
    private static void checkStaticInitializer(String display, MethodModel method) throws ArtifactException {
        var code = method.code().orElse(null);
        if (code == null) return;
        for (var element : code) {
            switch (element) {
                case java.lang.classfile.instruction.FieldInstruction f
                        when f.opcode() == java.lang.classfile.Opcode.GETSTATIC || f.opcode() == java.lang.classfile.Opcode.PUTSTATIC -> { }
                case java.lang.classfile.instruction.InvokeInstruction i
                        when i.opcode() == java.lang.classfile.Opcode.INVOKESTATIC && i.typeSymbol().parameterCount() == 0 -> { }
                case java.lang.classfile.instruction.ConstantInstruction c -> { }
                case java.lang.classfile.instruction.ReturnInstruction r -> { }
                case java.lang.classfile.Instruction other -> throw refuse(display, "has a static initializer with " + other.opcode().name().toLowerCase(java.util.Locale.ROOT)
                        + ", but generated ones only store constants and static getters' results (no branches, no loops)");
                default -> { }    // labels, line numbers, stack maps
            }
        }
    }

    private void checkType(String display, String internalName, String context) throws ArtifactException {
        if (internalName == null || artifactClasses.contains(internalName) || isAllowedPlatformClass(internalName)) {
            return;
        }
        String detail = context == null ? "" : " (" + context + ")";
        throw refuse(display, "refers to " + internalName + detail + ", which generated code may not use");
    }

    private static ArtifactException refuse(String binaryName, String what) {
        return new ArtifactException("class " + binaryName + " " + what + "; the artifact was not loaded. "
                + "Only artifacts produced by `nnc compile` are accepted: " + ArtifactException.RECOMPILE);
    }

    /** Every class named by a field or method descriptor, as internal names; primitives contribute nothing. */
    private static List<String> descriptorTypes(String descriptor) {
        List<String> types = new ArrayList<>();
        if (descriptor.startsWith("(")) {
            MethodTypeDesc desc = MethodTypeDesc.ofDescriptor(descriptor);
            addType(types, desc.returnType());
            desc.parameterList().forEach(p -> addType(types, p));
        } else {
            addType(types, ClassDesc.ofDescriptor(descriptor));
        }
        return types;
    }

    private static void addType(List<String> types, ClassDesc desc) {
        ClassDesc element = desc;
        while (element.isArray()) {
            element = element.componentType();
        }
        if (element.isClassOrInterface()) {
            String d = element.descriptorString();
            types.add(d.substring(1, d.length() - 1));
        }
    }

    /** The element class of an internal name that may be an array descriptor, or null for a primitive array. */
    private static String elementType(String internalName) {
        if (!internalName.startsWith("[")) {
            return internalName;
        }
        List<String> types = descriptorTypes(internalName);
        return types.isEmpty() ? null : types.getFirst();
    }

    private static String simpleName(String internalName) {
        return internalName.substring(internalName.lastIndexOf('/') + 1);
    }
}

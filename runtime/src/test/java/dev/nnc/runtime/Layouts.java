package dev.nnc.runtime;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.attribute.ConstantValueAttribute;
import java.lang.constant.ConstantDescs;

/** For hand-built test classes: the layout constant the compiler stamps into every main class. */
final class Layouts {

    private Layouts() {}

    /** {@code mainClass} with {@code public static final String NNC_LAYOUT = manifest.layoutKey()}, as the emitter writes it. */
    static byte[] stamped(byte[] mainClass, Manifest manifest) {
        ClassFile files = ClassFile.of();
        return files.transformClass(files.parse(mainClass), ClassTransform.endHandler(cls -> cls.withField(Manifest.LAYOUT_FIELD, ConstantDescs.CD_String,
                field -> field.withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC | ClassFile.ACC_FINAL)
                        .with(ConstantValueAttribute.of(manifest.layoutKey())))));
    }
}

package dev.nnc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.driver.Compiler;
import dev.nnc.compiler.driver.OptLevel;
import dev.nnc.compiler.interp.Interpreter;
import dev.nnc.compiler.interp.NdArray;
import dev.nnc.compiler.ir.Graph;
import dev.nnc.compiler.ir.GraphBuilder;
import dev.nnc.compiler.ir.Op;
import dev.nnc.compiler.ir.Shape;
import dev.nnc.compiler.ir.TensorType;
import dev.nnc.compiler.ir.Value;
import dev.nnc.runtime.CompiledModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Long graphs compile into methods the JVM can run: a chain of 2,500 tanh ops at -O2 fuses into several loop kernels
 * (not one over the JVM's method limits), at -O0 its 2,500 kernels are called from entry parts of at most 1,000
 * calls; both match the interpreter, and no generated method is over HotSpot's 8,000-byte limit for compiling a
 * method (counted with each instruction at its longest encoding for its operands).
 */
class LongChainTest {

    /** An upper bound on the method's code bytes: every instruction at its longest encoding for its operands. */
    private static int bytesAtMost(MethodNode m) {
        int bytes = 0;
        for (var insn : m.instructions) {
            bytes += switch (insn) {
                case org.objectweb.asm.tree.MethodInsnNode i -> i.getOpcode() == org.objectweb.asm.Opcodes.INVOKEINTERFACE ? 5 : 3;
                case org.objectweb.asm.tree.VarInsnNode i -> i.var <= 3 ? 1 : i.var <= 255 ? 2 : 4;
                case org.objectweb.asm.tree.IincInsnNode i -> 6;
                case org.objectweb.asm.tree.JumpInsnNode i -> 5;
                case org.objectweb.asm.tree.LdcInsnNode i -> 3;
                case org.objectweb.asm.tree.IntInsnNode i -> 3;
                case org.objectweb.asm.tree.FieldInsnNode i -> 3;
                case org.objectweb.asm.tree.TypeInsnNode i -> 3;
                case org.objectweb.asm.tree.InsnNode i -> 1;
                case org.objectweb.asm.tree.LabelNode i -> 0;
                case org.objectweb.asm.tree.LineNumberNode i -> 0;
                case org.objectweb.asm.tree.FrameNode i -> 0;
                default -> 16;    // switches and the rest: generous
            };
        }
        return bytes;
    }

    @Test
    void aLongChainCompilesIntoMethodsTheJitCompiles() throws Exception {
        GraphBuilder b = new GraphBuilder("Chain", 2);
        Value v = b.input("x", TensorType.f32(Shape.of(-1, 8)));
        for (int i = 0; i < 2500; i++) v = b.add(new Op.Unary(Op.UnaryKind.TANH, v), "h");
        b.output("y", v);
        Graph g = b.build();
        NdArray x = NdArray.zeros(2, 8);
        for (int i = 0; i < 16; i++) x.data()[i] = 0.1 * i - 0.8;
        double[] want = Interpreter.run(g, Map.of("x", x), Map.of()).get("y").data();
        for (OptLevel level : OptLevel.values()) {
            Compiler.CompiledGraph c = Compiler.compileGraph(g, level);
            ClassNode node = new ClassNode();
            new ClassReader(c.classFile()).accept(node, 0);
            List<String> parts = new ArrayList<>();
            for (MethodNode m : node.methods) {
                assertTrue(bytesAtMost(m) < 8000, level + ": " + m.name + " may have " + bytesAtMost(m) + " bytes of code");
                if (m.name.startsWith("infer_part")) parts.add(m.name);
            }
            if (level == OptLevel.O0) assertEquals(List.of("infer_part0", "infer_part1", "infer_part2"), parts);
            if (level == OptLevel.O2) assertTrue(c.kernels().kernels().size() > 1, "a 2,500-op chain is not one kernel");
            CompiledModel model = (CompiledModel) new ClassLoader(LongChainTest.class.getClassLoader()) {
                Class<?> define() {
                    return defineClass(c.className(), c.classFile(), 0, c.classFile().length);
                }
            }.define().getConstructor().newInstance();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment memory = arena.allocate(Math.max(64, c.plan().arenaBytes()), 64);
                MemorySegment.copy(x.toFloats(), 0, memory, ValueLayout.JAVA_FLOAT, 4 * c.plan().floatIndex(c.kernels().inputs().get("x")), 16);
                model.infer(memory, arena.allocate(64), 2);
                for (int i = 0; i < 16; i++) {
                    float got = memory.getAtIndex(ValueLayout.JAVA_FLOAT, c.plan().floatIndex(c.kernels().outputs().get("y")) + i);
                    assertEquals(want[i], got, 1e-5, level + " y[" + i + "]");
                }
            }
        }
    }
}

package dev.nnc.compiler.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nnc.compiler.ir.Dim;
import dev.nnc.compiler.ir.Op;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The plan chart is well-formed SVG with a title, labelled axes and one rectangle per arena buffer where the plan put it. */
class PlanChartTest {

    /** x → a → b → c (an elementwise chain) with x the input and c the output; the label of b needs escaping. */
    private static KernelProgram chain() {
        Buffer x = new Buffer(0, "input x", Buffer.Memory.ARENA, Dim.batch(8));
        Buffer a = new Buffer(1, "a", Buffer.Memory.ARENA, Dim.batch(8));
        Buffer b = new Buffer(2, "b<&>", Buffer.Memory.ARENA, Dim.batch(8));
        Buffer c = new Buffer(3, "c", Buffer.Memory.ARENA, Dim.batch(8));
        List<Kernel> kernels = new ArrayList<>();
        Buffer[] chain = {x, a, b, c};
        for (int i = 1; i < chain.length; i++) {
            kernels.add(new Kernel.Loop(List.of(chain[i].label()), List.of(Dim.batch(8)), new Operand(chain[i], 0), new long[] {1},
                    new LoopExpr.Unary(Op.UnaryKind.EXP, new LoopExpr.Load(new Operand(chain[i - 1], 0), new long[] {1}))));
        }
        return new KernelProgram("chain", 4, List.of(x, a, b, c), kernels, Map.of("x", new Operand(x, 0)), Map.of("c", new Operand(c, 0)), Map.of());
    }

    @Test
    void drawsEveryArenaBufferWithItsPlacement() throws Exception {
        KernelProgram p = chain();
        MemoryPlan plan = MemoryPlan.planned(p, Map.of());
        String svg = PlanChart.svg("Memory plan of chain", List.of(new PlanChart.Panel("inference", p, plan)));
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        List<String> texts = new ArrayList<>();
        NodeList textNodes = doc.getElementsByTagName("text");
        for (int i = 0; i < textNodes.getLength(); i++) texts.add(textNodes.item(i).getTextContent());
        assertTrue(texts.contains("Memory plan of chain"), texts.toString());
        assertTrue(texts.contains("kernel step"), texts.toString());
        assertTrue(texts.contains("arena offset (KiB)"), texts.toString());
        List<String> tooltips = new ArrayList<>();
        NodeList titles = doc.getElementsByTagName("title");
        for (int i = 0; i < titles.getLength(); i++) {
            assertEquals("rect", ((Element) titles.item(i).getParentNode()).getTagName());
            tooltips.add(titles.item(i).getTextContent());
        }
        List<String> expected = new ArrayList<>();
        for (Liveness.Lifetime l : Liveness.of(p).buffers()) {
            expected.add(l.buffer() + ": " + l.bytes() + " bytes, steps " + l.first() + ".." + l.last() + ", offset " + plan.offset(l.buffer()));
        }
        assertEquals(expected, tooltips);
        assertTrue(tooltips.contains("@2:b<&>: 128 bytes, steps 1..2, offset " + plan.offset(p.buffers().get(2))));
    }

    @Test
    void stacksOnePanelPerProgram() throws Exception {
        KernelProgram p = chain();
        String svg = PlanChart.svg("two", List.of(new PlanChart.Panel("inference", p, MemoryPlan.planned(p, Map.of())),
                new PlanChart.Panel("unplanned", p, MemoryPlan.separate(p, Map.of()))));
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals(2 * p.buffers().size(), doc.getElementsByTagName("title").getLength());
    }

    @Test
    void tickSpacingIsRound() {
        assertEquals(1, PlanChart.niceStep(3));
        assertEquals(2, PlanChart.niceStep(20));
        assertEquals(5, PlanChart.niceStep(33));
        assertEquals(10, PlanChart.niceStep(80));
        assertEquals(200, PlanChart.niceStep(1500));
    }
}

package dev.nnc.compiler.kernel;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Draws memory plans as an SVG timeline ({@code nnc compile --emit plan}): one panel per program, each arena buffer
 * a rectangle spanning its lifetime (x, kernel steps) and its address range (y, arena offset), with a dashed line
 * at the lower bound. Each rectangle carries a tooltip with the buffer's label, size, lifetime and offset.
 * Stateless and thread-safe.
 */
public final class PlanChart {

    private PlanChart() {}

    /** One program and its plan, drawn under {@code name} (for example "inference" or "training step"). */
    public record Panel(String name, KernelProgram program, MemoryPlan plan) {
        public Panel {
            Objects.requireNonNull(name);
            Objects.requireNonNull(program);
            Objects.requireNonNull(plan);
        }
    }

    private static final int WIDTH = 1000;
    private static final int PANEL_HEIGHT = 380;
    private static final int TITLE_HEIGHT = 40;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 50;
    private static final int TICKS = 8;

    /** The whole chart: {@code title} over the panels, stacked top to bottom. */
    public static String svg(String title, List<Panel> panels) {
        int height = TITLE_HEIGHT + PANEL_HEIGHT * panels.size();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                WIDTH, height, WIDTH, height));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"26\" font-size=\"18\" font-weight=\"bold\" text-anchor=\"middle\">%s</text>\n",
                WIDTH / 2, escape(title)));
        for (int i = 0; i < panels.size(); i++) panel(sb, panels.get(i), TITLE_HEIGHT + i * PANEL_HEIGHT);
        return sb.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder sb, Panel panel, int top) {
        MemoryPlan plan = panel.plan();
        MemoryPlan.Statistics stats = plan.statistics();
        List<Liveness.Lifetime> lifetimes = Liveness.of(panel.program()).buffers();
        int steps = Math.max(1, panel.program().kernels().size());
        long bytes = Math.max(1, plan.arenaBytes());
        double plotLeft = LEFT;
        double plotTop = top + TOP;
        double plotWidth = WIDTH - LEFT - RIGHT;
        double plotHeight = PANEL_HEIGHT - TOP - BOTTOM;
        sb.append(String.format(Locale.ROOT, "<g><text x=\"%.1f\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s — %s</text>\n",
                plotLeft, top + 22, escape(panel.name()), escape(panel.program().name())));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">arena %s planned, %s naive, %s lower bound, efficiency %.2f</text>\n",
                plotLeft, top + 38, kib(stats.plannedBytes()), kib(stats.naiveBytes()), kib(stats.lowerBoundBytes()), stats.efficiency()));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\" stroke=\"#333\"/>\n",
                plotLeft, plotTop, plotWidth, plotHeight));
        for (Liveness.Lifetime l : lifetimes) {
            double x = plotLeft + plotWidth * l.first() / steps;
            double w = plotWidth * (l.last() + 1 - l.first()) / steps;
            double yBottom = plotTop + plotHeight - plotHeight * plan.offset(l.buffer()) / bytes;
            double h = Math.max(0.5, plotHeight * MemoryPlan.align(l.bytes()) / bytes);
            int hue = Math.floorMod(l.buffer().id() * 67, 360);
            sb.append(String.format(Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"hsl(%d,60%%,70%%)\" stroke=\"hsl(%d,50%%,35%%)\" stroke-width=\"0.6\">"
                            + "<title>%s: %d bytes, steps %d..%d, offset %d</title></rect>\n",
                    x, yBottom - h, w, h, hue, hue, escape(l.buffer().toString()), l.bytes(), l.first(), l.last(), plan.offset(l.buffer())));
            if (w > 40 && h > 13) {
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s</text>\n",
                        x + 3, yBottom - h / 2 + 4, escape(shorten(l.buffer().label(), (int) (w / 6)))));
            }
        }
        double boundY = plotTop + plotHeight - plotHeight * stats.lowerBoundBytes() / bytes;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n",
                plotLeft, boundY, plotLeft + plotWidth, boundY));
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#c00\" text-anchor=\"end\">lower bound</text>\n",
                plotLeft + plotWidth - 4, boundY - 4));
        axes(sb, plotLeft, plotTop, plotWidth, plotHeight, steps, bytes);
        sb.append("</g>\n");
    }

    private static void axes(StringBuilder sb, double left, double top, double width, double height, int steps, long bytes) {
        double bottom = top + height;
        int stepTick = niceStep(steps);
        for (int s = 0; s <= steps; s += stepTick) {
            double x = left + width * s / steps;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>", x, bottom, x, bottom + 5));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", x, bottom + 18, s));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">kernel step</text>\n", left + width / 2, bottom + 36));
        long kibTotal = Math.max(1, (bytes + 1023) / 1024);
        long kibTick = niceStep(kibTotal);
        for (long k = 0; k * 1024 <= bytes; k += kibTick) {
            double y = bottom - height * (k * 1024.0) / bytes;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>", left - 5, y, left, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", left - 8, y + 4, k));
        }
        sb.append(String.format(Locale.ROOT, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">arena offset (KiB)</text>\n",
                left - 60, top + height / 2));
    }

    /** A round tick spacing (1, 2 or 5 × 10ⁿ) giving about {@link #TICKS} ticks over {@code range}. */
    static long niceStep(long range) {
        long raw = Math.max(1, range / TICKS);
        long magnitude = 1;
        while (magnitude * 10 <= raw) magnitude *= 10;
        for (long m : new long[] {1, 2, 5}) {
            if (m * magnitude >= raw) return m * magnitude;
        }
        return 10 * magnitude;
    }

    private static int niceStep(int range) {
        return (int) niceStep((long) range);
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, Math.max(1, max - 1)) + "…";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

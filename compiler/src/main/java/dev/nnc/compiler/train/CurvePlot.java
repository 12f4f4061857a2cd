package dev.nnc.compiler.train;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * Draws {@code OUT.curves.png}: loss per epoch (left) and accuracy per epoch (right), training and validation, with
 * xchart, headless. Series that were not measured are left out. Stateless.
 */
public final class CurvePlot {

    private static final int WIDTH = 640;
    private static final int HEIGHT = 420;

    private CurvePlot() {
    }

    /** Renders {@code rows} and writes the PNG aside, then renames it into place. */
    public static void write(Path file, List<EpochMetrics> rows) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage loss = BitmapEncoder.getBufferedImage(chart("loss", rows, EpochMetrics::trainLoss, EpochMetrics::validationLoss));
        BufferedImage accuracy = BitmapEncoder.getBufferedImage(chart("accuracy", rows, EpochMetrics::trainAccuracy, EpochMetrics::validationAccuracy));
        BufferedImage both = new BufferedImage(2 * WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, both.getWidth(), both.getHeight());
            g.drawImage(loss, 0, 0, null);
            g.drawImage(accuracy, WIDTH, 0, null);
        } finally {
            g.dispose();
        }
        OutputFiles.writeAtomically(file, out -> {
            if (!ImageIO.write(both, "png", out)) {
                throw new IOException("no PNG writer available");
            }
        });
    }

    private static XYChart chart(String title, List<EpochMetrics> rows, ToDoubleFunction<EpochMetrics> train,
                                 ToDoubleFunction<EpochMetrics> validation) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("epoch").yAxisTitle(title).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        boolean any = addSeries(chart, "train", rows, train);
        any |= addSeries(chart, "validation", rows, validation);
        if (!any) {
            chart.addSeries("not measured", new double[] {0}, new double[] {0});
        }
        return chart;
    }

    private static boolean addSeries(XYChart chart, String name, List<EpochMetrics> rows, ToDoubleFunction<EpochMetrics> metric) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (EpochMetrics row : rows) {
            double y = metric.applyAsDouble(row);
            if (Double.isFinite(y)) {
                xs.add((double) row.epoch());
                ys.add(y);
            }
        }
        if (xs.isEmpty()) {
            return false;
        }
        chart.addSeries(name, xs, ys);
        return true;
    }
}

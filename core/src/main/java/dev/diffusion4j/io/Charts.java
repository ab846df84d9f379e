package dev.diffusion4j.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Line charts as PNG files, drawn by JFreeChart. */
public final class Charts {
    private Charts() {}

    /** One line: a name and its points. */
    public record Series(String name, double[] x, double[] y) {}

    /**
     * Writes a chart with one or two y axes: the {@code left} series against the left axis, the
     * {@code right} series (may be empty) against the right one.
     */
    public static void writePng(
            Path file, String title, String xLabel, String leftLabel, List<Series> left, String rightLabel, List<Series> right,
            int width, int height) throws IOException {
        writePng(file, title, xLabel, leftLabel, left, rightLabel, right, width, height, false);
    }

    /** As above, with a logarithmic left axis when {@code logLeft}. */
    public static void writePng(
            Path file, String title, String xLabel, String leftLabel, List<Series> left, String rightLabel, List<Series> right,
            int width, int height, boolean logLeft) throws IOException {
        XYPlot plot = new XYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        NumberAxis x = new NumberAxis(xLabel);
        x.setAutoRangeIncludesZero(false);
        plot.setDomainAxis(x);
        Color[] colors = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e)};
        int[] colour = {0};
        addAxis(plot, 0, leftLabel, left, colors, colour, logLeft);
        if (!right.isEmpty()) {
            addAxis(plot, 1, rightLabel, right, colors, colour, false);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
    }

    private static void addAxis(XYPlot plot, int index, String label, List<Series> series, Color[] colors, int[] colour, boolean log) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    xy.add(s.x()[i], s.y()[i]);
                }
            }
            data.addSeries(xy);
        }
        ValueAxis axis;
        if (log) {
            LogAxis l = new LogAxis(label);
            l.setSmallestValue(1e-6);
            l.setNumberFormatOverride(new java.text.DecimalFormat("0.0###", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)));
            axis = l;
        } else {
            NumberAxis n = new NumberAxis(label);
            n.setAutoRangeIncludesZero(false);
            axis = n;
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series.size(); i++) {
            Color c = colors[colour[0]++ % colors.length];
            r.setSeriesPaint(i, c);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        axis.setLabelPaint((Color) r.getSeriesPaint(0));
        plot.setRangeAxis(index, axis);
        plot.setDataset(index, data);
        plot.mapDatasetToRangeAxis(index, index);
        plot.setRenderer(index, r);
    }
}

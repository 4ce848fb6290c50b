package gibbon.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Accuracy per class at one budget, clean beside each attack, as horizontal bars: the classes that
 * break first stand out. Classes are drawn in the order given (the caller sorts them). Every bar
 * carries its value, and a bar at 0 is drawn as a thin stub, so 0 is told apart from a missing bar.
 */
public final class ClassRobustnessChart {
    /**
     * One bar.
     *
     * @param series "clean" or the attack with its epsilon
     * @param colour palette index (-1 for the clean bars, drawn grey)
     */
    public record Bar(String series, int colour, String className, double accuracy) {}

    /** Length in pixels of the stub drawn for a bar at 0: visible, yet shorter than 0.01 of the axis. */
    static final double ZERO_STUB = 3;

    /** Horizontal bars that draw a stub where a value is 0: JFreeChart draws nothing there, as for a missing value. */
    private static final class ZeroMarkingBarRenderer extends BarRenderer {
        @Override
        public void drawItem(Graphics2D g2, CategoryItemRendererState state, Rectangle2D dataArea, CategoryPlot plot,
                CategoryAxis domainAxis, ValueAxis rangeAxis, CategoryDataset dataset, int row, int column, int pass) {
            super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
            Number value = dataset.getValue(row, column);
            if (value != null && value.doubleValue() == 0) {
                double top = calculateBarW0(plot, plot.getOrientation(), dataArea, domainAxis, state, row, column);
                double left = rangeAxis.valueToJava2D(0, dataArea, plot.getRangeAxisEdge());
                g2.setPaint(getItemPaint(row, column));
                g2.fill(new Rectangle2D.Double(left, top, ZERO_STUB, state.getBarWidth()));
            }
        }
    }

    private ClassRobustnessChart() {}

    /** The chart as PNG. */
    public static byte[] png(String title, List<Bar> bars) {
        JFreeChart chart = chart(title, bars);
        int bands = chart.getCategoryPlot().getDataset().getColumnCount();
        int series = chart.getCategoryPlot().getDataset().getRowCount();
        BufferedImage image = chart.createBufferedImage(900, Math.max(360, 110 + bands * (12 + 12 * series)));
        return Png.encode(image);
    }

    /** The chart itself, for the tests. */
    static JFreeChart chart(String title, List<Bar> bars) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        bars.forEach(b -> data.addValue(b.accuracy(), b.series(), b.className()));
        BarRenderer renderer = new ZeroMarkingBarRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}",
                new DecimalFormat("0.00", DecimalFormatSymbols.getInstance(Locale.ROOT))));
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font("SansSerif", Font.PLAIN, 10));
        renderer.setDefaultPositiveItemLabelPosition(
                new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        renderer.setItemLabelAnchorOffset(3);
        for (Bar b : bars) {
            int s = data.getRowIndex(b.series());
            renderer.setSeriesPaint(s, b.colour() < 0 ? new Color(0xb0b0b0) : Palette.colour(b.colour()));
        }
        CategoryAxis classes = new CategoryAxis("class");
        NumberAxis accuracy = new NumberAxis("accuracy");
        // Room right of 1.0 for the value labels of the longest bars.
        accuracy.setRange(0, 1.08);
        CategoryPlot plot = new CategoryPlot(data, classes, accuracy, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
}

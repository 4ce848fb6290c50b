package gibbon.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Accuracy per class at one budget, clean beside each attack, as horizontal bars: the classes that
 * break first stand out. Classes are drawn in the order given (the caller sorts them).
 */
public final class ClassRobustnessChart {
    /**
     * One bar.
     *
     * @param series "clean" or the attack with its epsilon
     * @param colour palette index (-1 for the clean bars, drawn grey)
     */
    public record Bar(String series, int colour, String className, double accuracy) {}

    private ClassRobustnessChart() {}

    public static byte[] png(String title, List<Bar> bars) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        bars.forEach(b -> data.addValue(b.accuracy(), b.series(), b.className()));
        BarRenderer renderer = new BarRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        for (Bar b : bars) {
            int s = data.getRowIndex(b.series());
            renderer.setSeriesPaint(s, b.colour() < 0 ? new Color(0xb0b0b0) : Palette.colour(b.colour()));
        }
        CategoryAxis classes = new CategoryAxis("class");
        NumberAxis accuracy = new NumberAxis("accuracy");
        accuracy.setRange(0, 1.0);
        CategoryPlot plot = new CategoryPlot(data, classes, accuracy, renderer);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        int height = Math.max(360, 90 + data.getColumnCount() * (10 + 9 * data.getRowCount()));
        BufferedImage image = chart.createBufferedImage(900, height);
        return Png.encode(image);
    }
}

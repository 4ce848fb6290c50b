package gibbon.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The robustness curve: robust accuracy against the budget epsilon, one line per attack with its
 * Wilson 95 % band, the clean accuracy as a dashed reference, one panel per threat model (L∞ and
 * L2 budgets are not on one scale). The ε axis is symmetric-log, linear up to the smallest measured
 * budget: curves separate at small budgets, which a linear axis squeezes into its left edge.
 */
public final class RobustnessCurves {
    /** One measured point: robust accuracy at {@code epsilon} and its 95 % interval. */
    public record Point(double epsilon, double robustAccuracy, double ciLow, double ciHigh) {}

    /**
     * One line of the figure.
     *
     * @param label the legend entry (the attack, or "run: attack" when comparing runs)
     * @param norm the threat model's table name ({@code linf}, {@code l2})
     * @param cleanAccuracy the model's clean accuracy on the same examples
     * @param run index of the run it belongs to; runs are told apart by line style
     * @param colour index into the shared palette; one attack keeps its colour across runs
     */
    public record Curve(String label, String norm, double cleanAccuracy, int run, String runLabel, int colour,
            List<Point> points) {}

    private static final int PANEL_WIDTH = 640;
    private static final int PANEL_HEIGHT = 460;
    /** Opacity of the Wilson band: visible over white while the lines stay readable through it. */
    static final float BAND_ALPHA = 0.3f;

    private RobustnessCurves() {}

    /** The figure as PNG: one panel per norm present, side by side. */
    public static byte[] png(List<Curve> curves) {
        Map<String, List<Curve>> byNorm = new LinkedHashMap<>();
        for (String norm : List.of("linf", "l2")) {
            List<Curve> panel = curves.stream().filter(c -> c.norm().equals(norm)).toList();
            if (!panel.isEmpty()) {
                byNorm.put(norm, panel);
            }
        }
        curves.stream().filter(c -> !byNorm.containsKey(c.norm()))
                .forEach(c -> byNorm.computeIfAbsent(c.norm(), k -> new ArrayList<>()).add(c));
        if (byNorm.isEmpty()) {
            throw new IllegalArgumentException("no curves to draw");
        }
        BufferedImage image = new BufferedImage(PANEL_WIDTH * byNorm.size(), PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.canvas(image);
        int i = 0;
        for (Map.Entry<String, List<Curve>> e : byNorm.entrySet()) {
            chart(e.getKey(), e.getValue()).draw(g, new Rectangle2D.Double(i++ * PANEL_WIDTH, 0, PANEL_WIDTH, PANEL_HEIGHT));
        }
        g.dispose();
        return Png.encode(image);
    }

    /**
     * The certification bracket as PNG, one L2 panel: randomized smoothing's certified accuracy against
     * the radius (a lower bound, solid, run style 0) over the empirical robust accuracy of the L2
     * attacks against ε (an upper bound, dashed, run style 1).
     */
    public static byte[] bracketPng(List<Curve> curves) {
        JFreeChart chart = chart("l2", curves);
        chart.setTitle(new TextTitle("Certified (solid) and attacked (dashed) accuracy, L2 budgets",
                new Font("SansSerif", Font.BOLD, 14)));
        chart.getXYPlot().getDomainAxis().setLabel("L2 radius = ε (inputs in [0, 1]); "
                + chart.getXYPlot().getDomainAxis().getLabel().replaceFirst("^.*; ", ""));
        BufferedImage image = new BufferedImage(PANEL_WIDTH, PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.canvas(image);
        chart.draw(g, new Rectangle2D.Double(0, 0, PANEL_WIDTH, PANEL_HEIGHT));
        g.dispose();
        return Png.encode(image);
    }

    /** The symmetric-log ε axis over every budget the curves measured, linear up to the smallest positive one. */
    static SymlogAxis epsilonAxis(String norm, List<Curve> curves) {
        double[] budgets = curves.stream().flatMap(c -> c.points().stream()).mapToDouble(Point::epsilon).distinct().sorted()
                .toArray();
        double smallest = Arrays.stream(budgets).filter(e -> e > 0).min().orElse(1);
        SymlogAxis axis = new SymlogAxis(String.format(Locale.ROOT, "ε (%s budget, inputs in [0, 1]; log scale above %s)",
                normName(norm), SymlogAxis.format(smallest)), smallest, budgets);
        axis.fitTo(budgets.length == 0 ? smallest : Math.max(smallest, budgets[budgets.length - 1]));
        return axis;
    }

    /** How a norm is written on an axis. */
    public static String normName(String norm) {
        return switch (norm) {
            case "linf" -> "L∞";
            case "l2" -> "L2";
            default -> norm;
        };
    }

    static JFreeChart chart(String norm, List<Curve> curves) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        renderer.setAlpha(BAND_ALPHA);
        for (int s = 0; s < curves.size(); s++) {
            Curve c = curves.get(s);
            YIntervalSeries series = new YIntervalSeries(c.label());
            c.points().forEach(p -> series.add(p.epsilon(), p.robustAccuracy(), p.ciLow(), p.ciHigh()));
            data.addSeries(series);
            Color colour = Palette.colour(c.colour());
            renderer.setSeriesPaint(s, colour);
            renderer.setSeriesFillPaint(s, colour);
            renderer.setSeriesStroke(s, Palette.stroke(c.run(), 2f));
        }
        SymlogAxis x = epsilonAxis(norm, curves);
        NumberAxis y = new NumberAxis("robust accuracy");
        y.setRange(0, 1.02);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        Map<String, Double> clean = new LinkedHashMap<>();
        curves.forEach(c -> clean.putIfAbsent(c.runLabel(), c.cleanAccuracy()));
        int run = 0;
        for (Map.Entry<String, Double> e : clean.entrySet()) {
            ValueMarker marker = new ValueMarker(e.getValue(), Color.DARK_GRAY, Palette.stroke(1, 1f));
            marker.setLabel(String.format("clean accuracy%s %.3f", clean.size() > 1 ? " (" + e.getKey() + ")" : "",
                    e.getValue()));
            marker.setLabelFont(new Font("SansSerif", Font.PLAIN, 11));
            marker.setLabelAnchor(run % 2 == 0 ? RectangleAnchor.TOP_RIGHT : RectangleAnchor.BOTTOM_RIGHT);
            marker.setLabelTextAnchor(run % 2 == 0 ? TextAnchor.BOTTOM_RIGHT : TextAnchor.TOP_RIGHT);
            plot.addRangeMarker(marker);
            run++;
        }
        JFreeChart chart = new JFreeChart(normName(norm) + " attacks: robust accuracy vs ε (95 % Wilson band)",
                new Font("SansSerif", Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
}

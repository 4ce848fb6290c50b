package gibbon.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.CategoryDataset;
import org.junit.jupiter.api.Test;

/** The figures show what the numbers say: visible bands, readable small budgets, honest grids, labelled bars. */
class FigureTruthTest {
    private static final double[] SWEEP = {0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3};

    private static RobustnessCurves.Curve curve(double... epsilons) {
        List<RobustnessCurves.Point> points = new ArrayList<>();
        for (double e : epsilons) {
            double accuracy = 0.9 - 2.5 * e;
            points.add(new RobustnessCurves.Point(e, accuracy, accuracy - 0.1, accuracy + 0.1));
        }
        return new RobustnessCurves.Curve("pgd", "linf", 0.9, 0, "r", 0, points);
    }

    @Test
    void theEpsilonAxisGivesSmallBudgetsAFairShareOfTheWidth() {
        JFreeChart chart = RobustnessCurves.chart("linf", List.of(curve(SWEEP)));
        SymlogAxis axis = assertInstanceOf(SymlogAxis.class, chart.getXYPlot().getDomainAxis());
        Rectangle2D area = new Rectangle2D.Double(50, 0, 1000, 100);
        double[] x = IntStream.range(0, SWEEP.length)
                .mapToDouble(i -> axis.valueToJava2D(SWEEP[i], area, RectangleEdge.BOTTOM)).toArray();
        double width = x[x.length - 1] - x[0];
        // A linear axis gives [0, 0.05] a sixth of the width and [0, 0.01] a thirtieth.
        assertTrue((x[3] - x[0]) / width >= 0.45, "[0, 0.05] gets " + (x[3] - x[0]) / width + " of the width");
        assertTrue((x[1] - x[0]) / width >= 0.15, "[0, 0.01] gets " + (x[1] - x[0]) / width + " of the width");
        for (int i = 1; i < x.length; i++) {
            assertTrue(x[i] > x[i - 1], "budgets keep their order");
            assertEquals(SWEEP[i], axis.java2DToValue(x[i], area, RectangleEdge.BOTTOM), 1e-9);
        }
        assertTrue(axis.getRange().contains(0.3) && axis.getLowerBound() == 0, "every budget is on the axis");
        Graphics2D g = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB).createGraphics();
        List<String> labels = ((List<?>) axis.refreshTicks(g, new AxisState(), new Rectangle2D.Double(0, 0, 560, 300),
                RectangleEdge.BOTTOM)).stream().map(t -> ((NumberTick) t).getText()).toList();
        assertEquals(List.of("0", "0.01", "0.02", "0.05", "0.1", "0.2", "0.3"), labels, "ticks at the measured budgets");
        assertTrue(axis.getLabel().contains("log scale above 0.01"), axis.getLabel());
    }

    @Test
    void theWilsonBandIsVisible() {
        JFreeChart chart = RobustnessCurves.chart("linf", List.of(curve(SWEEP)));
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage image = chart.createBufferedImage(640, 460, info);
        Rectangle2D area = info.getPlotInfo().getDataArea();
        XYPlot plot = chart.getXYPlot();
        // Between the points at 0.1 and 0.2 the line runs near 0.53 and its band ±0.1 around it; 0.47 is inside
        // the band, clear of the line and of the gridlines.
        int x = (int) plot.getDomainAxis().valueToJava2D(0.14, area, RectangleEdge.BOTTOM);
        int y = (int) plot.getRangeAxis().valueToJava2D(0.47, area, RectangleEdge.LEFT);
        Color c = new Color(image.getRGB(x, y));
        int darkest = Math.min(c.getRed(), Math.min(c.getGreen(), c.getBlue()));
        assertTrue(darkest <= 200, "the band shows over white: " + c);
        Color outside = new Color(image.getRGB(x, (int) plot.getRangeAxis().valueToJava2D(0.25, area, RectangleEdge.LEFT)));
        assertEquals(Color.WHITE, outside, "and nothing outside it");
    }

    private static ExampleGrid.Row row(long id, String clean, String adversarial, float[] original, float[] attacked) {
        return new ExampleGrid.Row(id, "Bag", original, attacked, new int[] {1, 28, 28}, clean, 0.9f, adversarial, 0.8f);
    }

    private static ExampleGrid.Row row(long id, String clean, String adversarial) {
        return row(id, clean, adversarial, new float[28 * 28], new float[28 * 28]);
    }

    @Test
    void theGridShowsFooledAndResistedInProportionToTheSuccessRate() {
        List<ExampleGrid.Row> candidates = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            candidates.add(row(3 * i, "Bag", "Coat"));
            candidates.add(row(3 * i + 1, "Bag", "Bag"));
        }
        candidates.add(row(100, "Coat", "Coat"));
        candidates.add(row(101, "Coat", "Bag"));
        for (double rate : new double[] {0, 0.1, 0.5, 0.77, 0.95, 1}) {
            List<ExampleGrid.Row> grid = ExampleGrid.select(candidates, rate, 6);
            assertEquals(6, grid.size());
            assertEquals(Math.round(6 * rate), grid.stream().filter(ExampleGrid.Row::flipped).count(), "fooled at " + rate);
            assertTrue(grid.stream().allMatch(r -> r.flipped() || r.resisted()), "no already-wrong example");
            assertTrue(IntStream.range(1, grid.size()).allMatch(i -> grid.get(i).exampleId() > grid.get(i - 1).exampleId()),
                    "in the candidates' order, not fooled first");
        }
        // One resisted example to draw from: the grid shrinks rather than skew the proportion.
        List<ExampleGrid.Row> fewResisted = candidates.stream().filter(r -> r.flipped() || r.exampleId() == 1).toList();
        List<ExampleGrid.Row> grid = ExampleGrid.select(fewResisted, 0.5, 6);
        assertEquals(ExampleGrid.fooledRows(grid.size(), 0.5), grid.stream().filter(ExampleGrid.Row::flipped).count());
        assertEquals(3, grid.size());
        assertEquals(List.of(), ExampleGrid.select(candidates.stream().filter(ExampleGrid.Row::resisted).toList(), 0.77, 6),
                "no fooled example stored: no grid that pretends the attack fails");
    }

    @Test
    void oneGainServesTheWholeGridAndIsPrinted() throws Exception {
        float[] original = new float[28 * 28];
        float[] strong = original.clone();
        strong[100] = 0.2f;
        float[] weak = original.clone();
        weak[100] = 0.1f;
        List<ExampleGrid.Row> rows = List.of(row(1, "Bag", "Coat", original, strong), row(2, "Bag", "Bag", original, weak));
        assertEquals(2.5f, ExampleGrid.gain(rows), 1e-6);
        String caption = ExampleGrid.caption("pgd at ε = 0.2 (L∞)", rows, 0.5);
        assertTrue(caption.contains("amplified ×2.5 in every row") && caption.contains("1 of 2 rows are fooled")
                && caption.contains("success rate of 50.0 %"), caption);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(ExampleGrid.png("t", rows)));
        // Pixel 100 is row 3, column 16 of the 28 × 28 input, drawn five times larger in the perturbation tile.
        int x = ExampleGrid.GAP + ExampleGrid.TILE + ExampleGrid.GAP + 16 * 5 + 2;
        int y = ExampleGrid.HEADER + 3 * 5 + 2;
        int rowHeight = ExampleGrid.TILE + ExampleGrid.TEXT + ExampleGrid.GAP / 2;
        assertEquals(255, image.getRGB(x, y) & 0xff, "the largest change reaches white");
        assertEquals(Math.round(255 * (0.5f + 0.1f * 2.5f)), image.getRGB(x, y + rowHeight) & 0xff, 2,
                "half the change is drawn at half the amplitude, not rescaled per row");
        assertEquals(128, image.getRGB(x - 10, y + rowHeight) & 0xff, 1, "no change is mid-grey");
    }

    @Test
    void everyClassBarIsLabelledAndZeroIsToldFromMissing() throws Exception {
        List<ClassRobustnessChart.Bar> bars = List.of(new ClassRobustnessChart.Bar("clean", -1, "Shirt", 0.7),
                new ClassRobustnessChart.Bar("clean", -1, "Bag", 1.0), new ClassRobustnessChart.Bar("pgd", 0, "Shirt", 0.0),
                new ClassRobustnessChart.Bar("pgd", 0, "Bag", 0.5));
        CategoryPlot plot = ClassRobustnessChart.chart("t", bars).getCategoryPlot();
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        CategoryDataset data = plot.getDataset();
        List<String> labels = new ArrayList<>();
        for (int r = 0; r < data.getRowCount(); r++) {
            for (int c = 0; c < data.getColumnCount(); c++) {
                assertTrue(renderer.isItemLabelVisible(r, c));
                labels.add(renderer.getItemLabelGenerator(r, c).generateLabel(data, r, c));
            }
        }
        assertEquals(List.of("0.70", "1.00", "0.00", "0.50"), labels);
        List<ClassRobustnessChart.Bar> missing = bars.stream().filter(b -> b.accuracy() != 0).toList();
        assertTrue(pixelsOf(ClassRobustnessChart.png("t", bars), Palette.colour(0))
                > pixelsOf(ClassRobustnessChart.png("t", missing), Palette.colour(0)), "0 looks different from missing");
    }

    private static int pixelsOf(byte[] png, Color colour) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xffffff) == (colour.getRGB() & 0xffffff) ? 1 : 0;
            }
        }
        return n;
    }
}

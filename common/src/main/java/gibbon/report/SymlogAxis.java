package gibbon.report;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;

/**
 * A horizontal (domain) symmetric-log axis for budgets: linear below {@code linearWidth}, logarithmic above,
 * so the small budgets where curves separate get as much width as the large ones. Ticks sit at the
 * given values (the measured budgets), thinned where they would collide.
 */
final class SymlogAxis extends NumberAxis {
    private static final double MIN_TICK_GAP = 34;

    private final double linearWidth;
    private final double[] tickValues;

    /**
     * @param linearWidth the budget below which the axis is (nearly) linear; positive
     * @param tickValues the values to mark, ascending
     */
    SymlogAxis(String label, double linearWidth, double[] tickValues) {
        super(label);
        if (!(linearWidth > 0)) {
            throw new IllegalArgumentException("linear width must be positive: " + linearWidth);
        }
        this.linearWidth = linearWidth;
        this.tickValues = tickValues.clone();
    }

    /** A budget as a tick label: no trailing zeros. */
    static String format(double v) {
        return new DecimalFormat("0.####", DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v);
    }

    private double forward(double v) {
        return Math.signum(v) * Math.log1p(Math.abs(v) / linearWidth);
    }

    private double inverse(double t) {
        return Math.signum(t) * linearWidth * Math.expm1(Math.abs(t));
    }

    /** The range [0, max] widened by a small margin in the transformed space, so end points are not clipped. */
    void fitTo(double max) {
        setRange(new Range(0, inverse(forward(max) * 1.03)), true, false);
    }

    @Override
    public double valueToJava2D(double value, Rectangle2D area, RectangleEdge edge) {
        double low = forward(getLowerBound());
        double share = (forward(value) - low) / (forward(getUpperBound()) - low);
        return area.getX() + share * area.getWidth();
    }

    @Override
    public double java2DToValue(double java2D, Rectangle2D area, RectangleEdge edge) {
        double share = (java2D - area.getX()) / area.getWidth();
        double low = forward(getLowerBound());
        return inverse(low + share * (forward(getUpperBound()) - low));
    }

    @Override
    protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
        List<NumberTick> ticks = new ArrayList<>();
        double last = Double.NEGATIVE_INFINITY;
        for (double v : tickValues) {
            double x = valueToJava2D(v, dataArea, edge);
            if (getRange().contains(v) && x - last >= MIN_TICK_GAP) {
                ticks.add(new NumberTick(v, format(v),
                        edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER, TextAnchor.CENTER, 0.0));
                last = x;
            }
        }
        return ticks;
    }
}
